// Browser steps of the table-config page's automation, contact groups and routes tabs, run by
// console.test.mjs (in zh-TW) after the alert rule steps. Expects the test's config to have
// the config automation rule `from-config`, the stored rule `open-work-order` and a
// [notifier] route with receiver `pager`.
import assert from "node:assert/strict";

// Calls the API from the page, with its session and CSRF token: [status, body].
async function pageApi(page, method, url, body) {
  return page.evaluate(async ([method, url, body]) => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "x-csrf-token": meta ? meta.getAttribute("content") : "" },
      body: body === null ? undefined : JSON.stringify(body),
    });
    return [response.status, await response.json().catch(() => null)];
  }, [method, url, body ?? null]);
}

async function editCell(cell, text) {
  await cell.click();
  const input = cell.locator("input");
  await input.fill(text);
  await input.press("Enter");
}

export async function tableConfigSteps({ page, base, step, shoot }) {
  step("table-config: the automation tab lists config rules read-only and stored rules editable");
  await page.goto(`${base}/pages/table-config`);
  await page.click("#tab-automation");
  const configRow = page.locator('#automation-table .tabulator-row:has-text("from-config")');
  await configRow.waitFor();
  assert.match(await configRow.getAttribute("class"), /row-readonly/);
  await configRow.locator('.tabulator-cell[tabulator-field="name"]').click();
  assert.equal(await configRow.locator("input").count(), 0, "a config rule opens no editor");
  const storedRow = page.locator('#automation-table .tabulator-row:has-text("open-work-order")');
  await storedRow.waitFor();

  step("table-config: a wrong trigger is refused and the row names trigger.when");
  const triggerCell = storedRow.locator('.tabulator-cell[tabulator-field="trigger"]');
  await editCell(triggerCell, '{"min_severity": "critical", "when": "value >"}');
  await page.locator('#automation-table .tabulator-row.row-invalid:has-text("open-work-order")').waitFor();
  assert.match(await storedRow.textContent(), /trigger\.when/);
  assert.match(await triggerCell.getAttribute("class"), /cell-invalid/);
  await shoot(page, "table-config-automation-error-zh-TW");

  step("table-config: a good trigger is saved");
  await editCell(triggerCell, '{"min_severity": "critical", "when": "value > 8.0"}');
  await page.locator('#automation-table .tabulator-row.row-invalid:has-text("open-work-order")').waitFor({ state: "detached" });
  await storedRow.locator(".cell-saved", { hasText: "已儲存" }).waitFor();
  const [status, stored] = await pageApi(page, "GET", "/api/automation/rules/open-work-order");
  assert.equal(status, 200);
  assert.equal(stored.rule.trigger.when, "value > 8.0");

  step("table-config: a new automation rule is refused until valid, then saved");
  await page.click("#add-automation-rule");
  const newRow = page.locator("#automation-table .tabulator-row.row-pending");
  await newRow.waitFor();
  await editCell(newRow.locator('.tabulator-cell[tabulator-field="id"]'), "notify-mes");
  await editCell(newRow.locator('.tabulator-cell[tabulator-field="name"]'), "Tell the MES");
  await newRow.locator(".save-rule").click();
  await page.locator("#automation-table .tabulator-row.row-pending.row-invalid").waitFor();
  assert.match(await newRow.locator('.tabulator-cell[tabulator-field="action"]').getAttribute("class"), /cell-invalid/);
  await editCell(newRow.locator('.tabulator-cell[tabulator-field="action"]'),
    '{"type": "webhook", "name": "mes", "url": "http://127.0.0.1:9/orders"}');
  await newRow.locator(".save-rule").click();
  const createdRow = page.locator('#automation-table .tabulator-row:has-text("notify-mes")');
  await createdRow.locator(".cell-saved", { hasText: "已儲存" }).waitFor();
  assert.doesNotMatch(await createdRow.getAttribute("class"), /row-pending|row-invalid/);
  const [createdStatus, created] = await pageApi(page, "GET", "/api/automation/rules/notify-mes");
  assert.equal(createdStatus, 200);
  assert.equal(created.source, "api");
  await shoot(page, "table-config-automation-zh-TW");

  step("table-config: contact groups are edited through their members");
  for (const contact of [
    { id: "amy", name: "Amy", email: "amy@plant.example", groups: ["maintenance"], channels: ["email"] },
    { id: "ben", name: "Ben", email: "ben@plant.example", groups: [], channels: ["email"] },
  ]) {
    const [created] = await pageApi(page, "POST", "/api/contacts", contact);
    assert.equal(created, 201);
  }
  await page.click("#tab-groups");
  const groupRow = page.locator('#groups-table .tabulator-row:has-text("maintenance")');
  await groupRow.waitFor();
  const membersCell = groupRow.locator('.tabulator-cell[tabulator-field="members"]');
  await editCell(membersCell, "amy, nobody");
  await page.locator("#groups-table .tabulator-row.row-invalid").waitFor();
  assert.match(await groupRow.textContent(), /nobody/);
  await editCell(membersCell, "amy, ben");
  await groupRow.locator(".cell-saved", { hasText: "已儲存" }).waitFor();
  const [, ben] = await pageApi(page, "GET", "/api/contacts/ben");
  assert.deepEqual(ben.groups, ["maintenance"]);
  await shoot(page, "table-config-groups-zh-TW");

  step("table-config: the contacts and routes tabs");
  await page.click("#tab-contacts");
  await page.locator('#contacts-table .tabulator-row:has-text("ben")').waitFor();
  await page.waitForTimeout(300); // the tab has faded in
  await shoot(page, "table-config-contacts-zh-TW");
  await shootRoutes(page, "zh-TW");
}

// Screenshots of the groups, automation and routes tabs in `language` (the page is open).
export async function shootTabs(page, language) {
  const shots = { groups: "#groups-table .tabulator-row", automation: '#automation-table .tabulator-row:has-text("notify-mes")' };
  for (const [tab, selector] of Object.entries(shots)) {
    await page.click(`#tab-${tab}`);
    await page.locator(selector).first().waitFor();
    await page.waitForTimeout(300); // the tab has faded in
    await page.screenshot({ path: `${process.env.DV_SCREENSHOTS}/table-config-${tab}-${language}.png` });
  }
  await shootRoutes(page, language);
}

// The routes tab (already on the page): the configured route tree, child indented.
async function shootRoutes(page, language) {
  await page.click("#tab-routes");
  await page.locator('#routes-table .tabulator-row:has-text("pager")').waitFor();
  const pager = page.locator('#receivers-table .tabulator-row:has-text("pager")');
  await pager.waitFor();
  assert.match(await pager.textContent(), /ops-webhook \(webhook\)/);
  await page.waitForTimeout(300); // the tab has faded in
  await page.screenshot({ path: `${process.env.DV_SCREENSHOTS}/table-config-routes-${language}.png` });
}
