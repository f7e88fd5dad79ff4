// Browser test of the Detectviz console: Debian's chromium driven by playwright-core.
// Started by apps/viot-web/tests/console_browser.rs with DV_BASE_URL, DV_USERNAME,
// DV_PASSWORD, DV_WRITE_TOKEN, DV_SCREENSHOTS and DV_OIDC_LOGIN (an account at the OpenID
// provider it started). Exits non-zero on the first failed step.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { runOperationsSteps } from "./console-operations.mjs";
import { fileEditorSteps } from "./file-editors.steps.mjs";
import { tableConfigSteps, shootTabs } from "./console-table-config.mjs";

const base = process.env.DV_BASE_URL;
const screenshots = process.env.DV_SCREENSHOTS;
mkdirSync(screenshots, { recursive: true });

function step(name) {
  console.log(`step: ${name}`);
}

async function shoot(page, name) {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
}

async function writePoint(value) {
  const response = await fetch(`${base}/api/v2/write?org=plant&bucket=telegraf`, {
    method: "POST",
    headers: { Authorization: `Token ${process.env.DV_WRITE_TOKEN}` },
    body: `pump,device=pump-7,site=north temperature_c=${value}\n`,
  });
  assert.equal(response.status, 204, `line-protocol write answered ${response.status}`);
}

async function setLanguage(page, language) {
  await page.click("#user-menu");
  await page.selectOption("#pref-language", language);
  await Promise.all([page.waitForEvent("load"), page.click("#save-preferences")]);
}

const browser = await chromium.launch({
  executablePath: process.env.DV_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("response", async (response) => {
    if (response.status() >= 400) console.log(`http ${response.status()} ${response.request().method()} ${response.url()}: ${(await response.text().catch(() => "")).slice(0, 300)}`);
  });

  step("an anonymous visit lands on the login page (zh-TW by default)");
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  assert.equal(await page.textContent("label[for=username]"), "帳號");
  await shoot(page, "login-zh-TW");

  step("a wrong password is refused in the form");
  await page.fill("#username", process.env.DV_USERNAME);
  await page.fill("#password", "wrong");
  await page.click("button[type=submit]");
  await page.waitForSelector("#login-error .alert-danger");

  step("log in");
  await page.fill("#password", process.env.DV_PASSWORD);
  await Promise.all([page.waitForURL(/\/pages\/home/), page.click("button[type=submit]")]);
  await page.waitForSelector("#count-cards");
  assert.match(await page.textContent(".app-sidebar"), /總覽/);
  await shoot(page, "home-zh-TW");

  step("a written point fires a rule and the alert appears live on the records page");
  await page.goto(`${base}/pages/record-status`);
  await page.waitForSelector("#alert-filters");
  await page.waitForTimeout(1500); // the live feed is connected
  const navigations = [];
  page.on("framenavigated", (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
  await writePoint(97.5);
  const row = page.locator('#alert-rows tr[data-rule="pump-temperature"]');
  await row.waitFor({ timeout: 20000 });
  assert.deepEqual(navigations, [], "the alert arrived without a page reload");
  await page.waitForSelector("#live-toasts .toast");
  assert.match(await row.textContent(), /嚴重/);
  await shoot(page, "record-status-live-zh-TW");

  step("acknowledge the alert");
  await row.locator(".ack-button").click();
  await page.locator('#alert-rows tr[data-rule="pump-temperature"] .ack-badge').waitFor();
  assert.match(await page.locator('#alert-rows tr[data-rule="pump-temperature"]').textContent(), /operator-amy/);

  step("alert detail with timeline and Grafana link");
  await page.locator('#alert-rows tr[data-rule="pump-temperature"] button[title="詳情"]').click();
  await page.waitForSelector("#alert-detail-card .timeline-list li");
  const grafana = await page.getAttribute("#alert-detail-card a[href^='http://grafana.example']", "href");
  assert.match(grafana, /var-device=pump-7/);
  await page.waitForSelector("#alert-detail-panel.show");
  await page.waitForTimeout(400); // the panel has slid in
  await shoot(page, "record-status-detail-zh-TW");
  await page.click("#alert-detail-card [data-bs-dismiss=offcanvas]");
  await page.waitForSelector("#alert-detail-panel", { state: "hidden" });

  step("the audit tab lists the acknowledgement");
  await page.click("#tab-audit");
  await page.waitForSelector("#audit-table");
  assert.match(await page.textContent("#audit-table"), /\/api\/alerts\/.*\/ack/);
  await shoot(page, "record-status-audit-zh-TW");

  step("a bad rule edit in Tabulator shows the server's validation error in the row");
  await page.goto(`${base}/pages/table-config`);
  const levelsCell = page.locator('#rules-table .tabulator-row:has-text("pump-temperature") .tabulator-cell[tabulator-field="levels"]');
  await levelsCell.waitFor();
  await levelsCell.click();
  const editor = levelsCell.locator("input");
  await editor.fill('[{"severity": "loud", "condition": {"op": ">", "value": 90}}]');
  await editor.press("Enter");
  const invalidRow = page.locator("#rules-table .tabulator-row.row-invalid");
  await invalidRow.waitFor();
  assert.match(await invalidRow.textContent(), /loud/);
  await shoot(page, "table-config-error-zh-TW");

  step("a good edit clears the error");
  await levelsCell.click();
  await levelsCell.locator("input").fill('[{"severity": "critical", "condition": {"op": ">", "value": 95}}]');
  await levelsCell.locator("input").press("Enter");
  await page.locator("#rules-table .tabulator-row.row-invalid").waitFor({ state: "detached" });
  const saved = await (await fetch(`${base}/api/rules/pump-temperature`, { headers: { Cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).json();
  assert.equal(saved.levels[0].condition.value, 95);

  await tableConfigSteps({ page, base, step, shoot }); // automation, groups, routes tabs

  step("switch to English: remembered across pages");
  await setLanguage(page, "en");
  assert.match(await page.textContent(".app-sidebar"), /Overview/);
  const ready = { "home": "#count-cards", "record-status": "#alert-rows table", "table-config": "#rules-table .tabulator-row" };
  for (const [name, selector] of Object.entries(ready)) {
    await page.goto(`${base}/pages/${name}`);
    await page.waitForSelector(selector);
    await page.waitForTimeout(300);
    await shoot(page, `${name}-en`);
  }
  await shootTabs(page, "en"); // the table-config page is still open
  await page.goto(`${base}/pages/record-status`);
  assert.match(await page.textContent("#alert-rows"), /Critical/);

  step("tablet width");
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.goto(`${base}/pages/record-status`);
  await page.waitForSelector("#alert-rows table");
  await shoot(page, "record-status-tablet-en");
  await page.setViewportSize({ width: 1280, height: 720 });

  step("switch back to Traditional Chinese");
  await page.goto(`${base}/pages/home`);
  await setLanguage(page, "zh-TW");
  assert.match(await page.textContent(".app-sidebar"), /總覽/);
  await page.goto(`${base}/pages/table-config`);
  await page.waitForSelector("#rules-table .tabulator-row");
  await shoot(page, "table-config-zh-TW");

  await runOperationsSteps({ page, base, step, shoot, setLanguage });

  await fileEditorSteps({ page, context, base, step, shoot, setLanguage });

  if (process.env.DV_OIDC_LOGIN) {
    step("sign in with Keycloak (a real OpenID provider) in a fresh browser, then sign out at both ends");
    const ssoContext = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const sso = await ssoContext.newPage();
    sso.on("pageerror", (error) => pageErrors.push(error.message));
    await sso.goto(`${base}/login?lang=en`);
    await sso.waitForSelector("#oidc-login");
    assert.match(await sso.textContent("#oidc-login"), /Sign in with Keycloak/);
    await shoot(sso, "login-sso-en");
    await Promise.all([sso.waitForURL(/\/interaction\//), sso.click("#oidc-login")]);
    await sso.fill("input[name=login]", process.env.DV_OIDC_LOGIN);
    await Promise.all([sso.waitForURL(/\/pages\/home/), sso.click("button")]);
    await sso.waitForSelector("#count-cards");
    assert.match(await sso.textContent("body"), new RegExp(process.env.DV_OIDC_LOGIN));
    await shoot(sso, "home-after-sso");
    await sso.click("#user-menu");
    await Promise.all([sso.waitForURL(/\/session\/end/), sso.click("#sign-out")]);
    await Promise.all([sso.waitForURL(/\/login/), sso.click("button[name=logout]")]);
    const me = await sso.evaluate(async () => (await fetch("/api/auth/me")).status);
    assert.equal(me, 401, "signed out of Detectviz");
    await ssoContext.close();
  }

  assert.deepEqual(pageErrors, [], "no script errors on any page");
  console.log("console browser test: ok");
} finally {
  await browser.close();
}
