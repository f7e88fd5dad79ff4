// Browser steps of the operations pages (task runner, device grid, log viewer), called by
// console.test.mjs once the viewer is signed in and reads Traditional Chinese. Runs them in
// zh-TW, then in English at 1280×720 and at tablet width, and switches back to zh-TW.
// DV_RELEASE_FILE: the file the task runner's report.sh waits for before it finishes.
import { writeFileSync } from "node:fs";
import assert from "node:assert/strict";

async function writeLines(base, body) {
  const response = await fetch(`${base}/api/v2/write?org=plant&bucket=telegraf`, {
    method: "POST",
    headers: { Authorization: `Token ${process.env.DV_WRITE_TOKEN}` },
    body,
  });
  assert.equal(response.status, 204, `line-protocol write answered ${response.status}`);
}

async function noHorizontalScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${what}: the page scrolls sideways by ${overflow}px`);
}

async function taskRunner(page, base, step, shoot) {
  step("task runner: run a script with a parameter and watch its output stream");
  await page.goto(`${base}/pages/task-runner`);
  const form = page.locator('form.task-form[data-rule="report"]');
  await form.waitFor();
  assert.equal(await page.textContent('label[for="param-report-line"]'), "line");
  await page.fill("#param-report-line", "north pump");
  await form.locator(".run-button").click();
  await page.waitForFunction(() => document.getElementById("task-output").textContent.includes("started for north pump"));
  // The script cannot end before the release file exists: this line was streamed live.
  assert.equal(await page.getAttribute("#task-status", "data-status"), "started");
  assert.equal(await page.isEnabled("#task-cancel"), true);
  await shoot(page, "task-runner-running-zh-TW");
  writeFileSync(process.env.DV_RELEASE_FILE, "go\n");
  await page.waitForSelector('#task-status[data-status="succeeded"]');
  assert.match(await page.textContent("#task-output"), /finished: north pump/);
  assert.equal(await page.textContent("#task-status"), "成功");

  step("task runner: cancel a run");
  await page.locator('form.task-form[data-rule="hang"] .run-button').click();
  await page.waitForFunction(() => document.getElementById("task-output").textContent.includes("waiting to be cancelled"));
  await page.click("#task-cancel");
  await page.waitForSelector('#task-status[data-status="cancelled"]');
  await page.locator("#task-runs-table .run-cancelled").first().waitFor();

  step("task runner: a network scan fills its progress bar");
  await page.fill("#scan-targets", "127.0.0.1");
  await page.fill("#scan-timeout", "200");
  await page.click("#scan-start");
  await page.waitForSelector('#scan-progress-body[data-status="finished"]', { timeout: 30000 });
  assert.equal(await page.getAttribute("#scan-progress .progress", "aria-valuenow"), "100");
  await page.locator("#scan-table tr[data-scan]").first().waitFor();
  await shoot(page, "task-runner-zh-TW");
}

async function gridStatus(page, base, step, shoot) {
  step("device grid: devices coloured by state with their latest values");
  await writeLines(base, "pump,device=pump-7,site=north temperature_c=99.1\nmodbus,device=plc-2 pressure_bar=4.2\n");
  await page.goto(`${base}/pages/grid-status`);
  await page.waitForSelector('.device-tile[data-device="pump-7"][data-state="critical"]', { timeout: 20000 });
  await page.waitForSelector('.device-tile[data-device="switch-9"][data-state="down"]');
  const plc = page.locator('.device-tile[data-device="plc-2"]');
  assert.equal(await plc.getAttribute("data-state"), "up");
  assert.match(await plc.textContent(), /modbus\.pressure_bar\s*4\.2/);
  assert.match(await page.textContent('.device-tile[data-device="switch-9"]'), /離線/);
  await shoot(page, "grid-status-zh-TW");

  step("device page: recent values charted, its alerts and its Telegraf file");
  await page.click('.device-tile[data-device="pump-7"]');
  await page.waitForSelector('#device-detail[data-state="critical"]');
  await page.waitForSelector(".device-chart canvas");
  await page.waitForSelector('#device-alerts tr[data-rule="pump-temperature"]');
  assert.match(await page.textContent("#device-telegraf pre"), /inputs\.modbus/);
  await shoot(page, "grid-status-device-zh-TW");
}

async function logViewer(page, base, step, shoot) {
  step("log viewer: Detectviz's own logs filtered by module and level");
  await page.goto(`${base}/pages/log-viewer`);
  await page.waitForSelector("#log-table");
  await page.fill("#log-module", "automation");
  await page.click('#log-filters button[type="submit"]');
  await page.waitForFunction(() => document.querySelector("#log-body tr") && [...document.querySelectorAll("#log-body tr")].every((row) => row.cells[2].textContent.startsWith("automation")));
  assert.match(await page.textContent("#log-body"), /automation run finished/);
  await page.selectOption("#log-level", "error");
  await page.waitForFunction(() => [...document.querySelectorAll("#log-body tr")].every((row) => row.dataset.level === "error"));
  await page.selectOption("#log-level", "");
  await page.waitForFunction(() => document.querySelectorAll("#log-body tr").length > 0);
  assert.ok(!(await page.content()).includes(process.env.DV_PASSWORD), "the password appears in the log viewer");

  step("log viewer: follow mode shows new entries as they are written");
  const newest = await page.evaluate(() => Number(document.querySelector("#log-body tr").dataset.sequence));
  await page.check("#log-follow");
  await page.waitForSelector('body[data-following="1"]');
  await page.evaluate(() => detectviz.api("POST", "/api/tasks/runs", { rule_id: "report", parameters: { line: "followed" } }));
  await page.waitForFunction((before) => {
    const row = document.querySelector("#log-body tr");
    return row && Number(row.dataset.sequence) > before && row.textContent.includes("automation run finished");
  }, newest);
  await shoot(page, "log-viewer-zh-TW");
  await page.uncheck("#log-follow");

  step("log viewer: the output of automation runs");
  await page.click("#tab-runs");
  await page.waitForSelector("#run-outputs .run-output");
  assert.match(await page.textContent("#run-outputs"), /finished: north pump/);
  await page.locator("#run-outputs .run-output summary").first().click();
  await shoot(page, "log-viewer-runs-zh-TW");
}

export async function runOperationsSteps({ page, base, step, shoot, setLanguage }) {
  await taskRunner(page, base, step, shoot);
  await gridStatus(page, base, step, shoot);
  await logViewer(page, base, step, shoot);

  step("operations pages in English, at 1280×720 and at tablet width");
  await page.goto(`${base}/pages/task-runner`);
  await setLanguage(page, "en");
  const ready = {
    "task-runner": "#task-output-card",
    "grid-status": "#device-tiles",
    "grid-status-device": ".device-chart canvas",
    "log-viewer": "#log-table",
  };
  const address = (name) => (name === "grid-status-device" ? "grid-status?device=pump-7" : name);
  for (const viewport of [{ width: 1280, height: 720, suffix: "en" }, { width: 820, height: 1180, suffix: "tablet-en" }]) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    for (const [name, selector] of Object.entries(ready)) {
      await page.goto(`${base}/pages/${address(name)}`);
      await page.waitForSelector(selector);
      await noHorizontalScroll(page, `${name} at ${viewport.width}px`);
      await shoot(page, `${name}-${viewport.suffix}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${base}/pages/grid-status`);
  assert.match(await page.textContent('.device-tile[data-device="switch-9"]'), /Down/);
  assert.match(await page.textContent(".app-sidebar"), /Task runner/);
  await setLanguage(page, "zh-TW");
}
