//! The `detectviz` binary: parse the command line, run the command, exit 0 or 1.

use std::process::ExitCode;

use clap::Parser;
use viot_web::cli::Cli;

fn main() -> ExitCode {
    viot_web::process_metrics::mark_process_start();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(viot_web::commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
