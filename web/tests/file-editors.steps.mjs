// Browser steps for the file and CSV editors, called from console.test.mjs with its page and
// helpers. The server (apps/viot-web/tests/console_browser.rs) configures two roots: `conf`
// (site.toml, labels.yaml) and `healthcheck` (the sample health-check targets CSV); after
// the run it checks the saved files on disk and their versions in the store.
import assert from "node:assert/strict";

async function editCell(row, field, value) {
  const cell = row.locator(`.tabulator-cell[tabulator-field="${field}"]`);
  await cell.click();
  const input = cell.locator("input");
  await input.fill(value);
  await input.press("Enter");
}

async function readFile(base, context, root, path) {
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const response = await fetch(`${base}/api/files/${root}/${encodeURIComponent(path)}`, { headers: { Cookie: cookie } });
  assert.equal(response.status, 200);
  return (await response.json()).content;
}

export async function fileEditorSteps({ page, context, base, step, shoot, setLanguage }) {
  step("CSV editor: a bad cell is refused in its row and nothing is written");
  await page.goto(`${base}/pages/csv-editor`);
  await page.waitForSelector("#csv-editor[data-loaded]");
  assert.equal(await page.locator("#csv-table .tabulator-row").count(), 3);
  await page.locator('#csv-table .tabulator-row:has-text("api-login") .remove-row').click();
  await page.click("#csv-add-row");
  const added = page.locator("#csv-table .tabulator-row").last();
  await editCell(added, "c0", "plc-gateway");
  await editCell(added, "c1", "tcp://10.0.0.5:502");
  await editCell(added, "c4", "soon");
  await page.click("#csv-save");
  const invalid = page.locator("#csv-table .tabulator-row.row-invalid");
  await invalid.waitFor();
  assert.match(await invalid.textContent(), /timeout_seconds/);
  assert.match(await readFile(base, context, "healthcheck", "healthcheck_targets.csv"), /api-login/);
  await shoot(page, "csv-editor-error-zh-TW");

  step("CSV editor: the fixed table is saved with a version");
  await editCell(added, "c4", "3");
  await page.fill("#csv-message", "PLC gateway instead of the API login check");
  await page.click("#csv-save");
  await page.waitForSelector("#csv-result .alert-success");
  await page.locator("#csv-table .tabulator-row.row-invalid").waitFor({ state: "detached" });
  const saved = await readFile(base, context, "healthcheck", "healthcheck_targets.csv");
  assert.match(saved, /plc-gateway,tcp:\/\/10\.0\.0\.5:502,,,3/);
  assert.doesNotMatch(saved, /api-login/);
  await shoot(page, "csv-editor-zh-TW");

  step("file editor: invalid TOML is refused with its line, the file is untouched");
  await page.goto(`${base}/pages/file-editor`);
  await page.waitForSelector("#file-editor[data-ready]");
  await page.selectOption("#file-select", JSON.stringify({ root: "conf", path: "site.toml" }));
  await page.waitForFunction(() => document.querySelector("#file-content").value.includes("pumps = 7"));
  await page.fill("#file-content", '# Plant north\n[site]\nname = "north"\npumps = = 8\n');
  await page.click("#save-file");
  await page.waitForSelector("#file-problems li");
  assert.match(await page.textContent("#file-problems"), /行 4/);
  assert.equal(await page.textContent("#file-gutter .line-bad"), "4");
  assert.match(await readFile(base, context, "conf", "site.toml"), /pumps = 7/);
  await shoot(page, "file-editor-invalid-zh-TW");

  step("file editor: diff preview, then a valid save adds a version");
  await page.fill("#file-content", '# Plant north\n[site]\nname = "north"\npumps = 8\n');
  await page.click("#diff-file");
  await page.waitForSelector("#file-diff .diff-add");
  assert.match(await page.textContent("#file-diff"), /\+pumps = 8/);
  await page.fill("#save-message", "eighth pump installed");
  await page.click("#save-file");
  await page.waitForSelector("#file-result .alert-success");
  await page.waitForSelector("#file-snapshots li:nth-child(2)");
  assert.match(await page.textContent("#file-snapshots"), /eighth pump installed/);
  assert.match(await readFile(base, context, "conf", "site.toml"), /pumps = 8/);
  await shoot(page, "file-editor-zh-TW");

  step("file editor: restoring the version found on disk brings the old content back");
  await page.locator("#file-snapshots li").last().locator(".restore-snapshot").click();
  await page.waitForFunction(() => document.querySelector("#file-content").value.includes("pumps = 7"));
  await page.waitForSelector("#file-snapshots li:nth-child(3)");
  assert.match(await readFile(base, context, "conf", "site.toml"), /pumps = 7/);

  step("both editors in English");
  await setLanguage(page, "en");
  await page.goto(`${base}/pages/csv-editor`);
  await page.waitForSelector("#csv-editor[data-loaded]");
  assert.match(await page.textContent("#csv-add-row"), /Add row/);
  await shoot(page, "csv-editor-en");
  await page.goto(`${base}/pages/file-editor`);
  await page.waitForSelector("#file-editor[data-ready]");
  await page.selectOption("#file-select", JSON.stringify({ root: "conf", path: "site.toml" }));
  await page.waitForSelector("#file-snapshots li");
  await page.fill("#file-content", '[site]\nname = "north"\npumps = [8\n');
  await page.click("#validate-file");
  await page.waitForSelector("#file-problems li");
  assert.match(await page.textContent("#file-problems"), /line 3/);
  await shoot(page, "file-editor-en");
  await page.setViewportSize({ width: 820, height: 1180 });
  await shoot(page, "file-editor-tablet-en");
  await page.setViewportSize({ width: 1280, height: 720 });
  await setLanguage(page, "zh-TW");
}
