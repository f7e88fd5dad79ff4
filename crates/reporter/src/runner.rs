//! The scheduler: runs each `[[reporter.schedules]]` entry at its cron times (in the site's
//! time) until shutdown. A report that fails is logged and the next time is waited for; runs
//! missed while the server was down are not made up (ask for them on demand).

use chrono::{DateTime, FixedOffset, Utc};
use tokio_util::sync::CancellationToken;

use crate::ReporterError;
use crate::config::ScheduleConfig;
use crate::export::Reporter;
use crate::period::{Period, offset_from_minutes};

/// A schedule with its parsed cron expression.
pub struct ParsedSchedule {
    pub config: ScheduleConfig,
    pub cron: cron::Schedule,
}

pub fn parse_schedules(schedules: &[ScheduleConfig]) -> Result<Vec<ParsedSchedule>, ReporterError> {
    schedules
        .iter()
        .map(|config| {
            Ok(ParsedSchedule {
                cron: config.schedule()?,
                config: config.clone(),
            })
        })
        .collect()
}

/// The earliest time after `after` at which any schedule fires, with the indexes of every
/// schedule due then; `None` when no schedule fires again.
pub fn next_run(
    schedules: &[ParsedSchedule],
    after: DateTime<Utc>,
    offset: FixedOffset,
) -> Option<(DateTime<Utc>, Vec<usize>)> {
    let local_after = after.with_timezone(&offset);
    let times: Vec<(usize, DateTime<Utc>)> = schedules
        .iter()
        .enumerate()
        .filter_map(|(index, schedule)| {
            let next = schedule.cron.after(&local_after).next()?;
            Some((index, next.with_timezone(&Utc)))
        })
        .collect();
    let earliest = times.iter().map(|(_, at)| *at).min()?;
    let due = times
        .into_iter()
        .filter(|(_, at)| *at == earliest)
        .map(|(index, _)| index)
        .collect();
    Some((earliest, due))
}

/// Runs the schedules of `reporter`'s configuration until `shutdown` is cancelled.
pub async fn run_scheduler(
    reporter: Reporter,
    shutdown: CancellationToken,
) -> Result<(), ReporterError> {
    let schedules = parse_schedules(&reporter.config().schedules)?;
    let offset = offset_from_minutes(reporter.config().utc_offset_minutes);
    let mut after = Utc::now();
    loop {
        let Some((at, due)) = next_run(&schedules, after, offset) else {
            tracing::info!("no report schedule fires again");
            return Ok(());
        };
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(wait) => {}
        }
        for index in due {
            let schedule = &schedules[index].config;
            let period = Period::previous(schedule.kind, at, offset);
            let created_by = format!("scheduler:{}", schedule.name);
            match reporter
                .generate(schedule.kind, period, schedule.language, &created_by)
                .await
            {
                Ok(record) => {
                    tracing::info!(schedule = %schedule.name, id = %record.id, "scheduled report written")
                }
                Err(error) => {
                    tracing::error!(schedule = %schedule.name, %error, "scheduled report failed")
                }
            }
        }
        after = at;
    }
}
