// End-to-end: the built app (dist/) served by the real worker in workerd, in front of the fake LibreLinkUp, driven
// in Chromium like a person would. Run by `tests/tests/integration/app.rs`:
//   node tests/e2e/app.mjs <worker url> <screenshot dir>
// Every check throws on failure; the process exits non-zero with the failing step's name.
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const [base, shots] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

/** A fresh browser profile at phone size. */
async function phone(colorScheme = "light") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tw-e2e-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 390, height: 844 },
    colorScheme,
    serviceWorkers: "allow",
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on("pageerror", (e) => console.log(`pageerror: ${e.message}`));
  return { context, page };
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.stack || e}`);
    process.exitCode = 1;
    throw e;
  }
}

async function signIn(page, email, password) {
  await page.goto(base);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const value = (page) => page.getByTestId("value");

async function axe(page, view) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of result.violations) {
    console.log(`axe ${view}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length})`);
    for (const n of v.nodes.slice(0, 5)) console.log(`    ${n.target.join(" ")}: ${n.failureSummary.split("\n").slice(1).join(" ")}`);
  }
  check(serious.length === 0, `axe on ${view}: ${serious.map((v) => v.id).join(", ")}`);
}

try {
  const { context, page } = await phone("light");

  await step("sign-in page has no serious accessibility violations", async () => {
    await page.goto(base);
    await page.getByRole("button", { name: "Try the demo" }).waitFor();
    await axe(page, "sign-in");
    await page.screenshot({ path: `${shots}/signin-light.png` });
  });

  await step("a wrong password says so and warns about LibreLinkUp's lockout", async () => {
    // An account the rest of this run does not use: the server pauses sign-ins for it for 60 s now.
    await signIn(page, "empty@tidewatch.test", "not-the-password");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    check((await alert.getAttribute("data-code")) === "bad_credentials", "error code");
    check((await alert.innerText()).includes("3 wrong tries"), "lockout warning");
  });

  await step("sign in through a region redirect and LibreLinkUp's consent steps", async () => {
    // terms@ lives in `de`, reached from the global host through `eu`, and has ToU then PP pending.
    await signIn(page, "terms@tidewatch.test", "terms123");
    await page.getByRole("heading", { name: "LibreLinkUp's Terms of Use" }).waitFor();
    await page.screenshot({ path: `${shots}/consent-light.png` });
    await page.getByRole("button", { name: "I accept" }).click();
    await page.getByRole("heading", { name: "LibreLinkUp's Privacy Notice" }).waitFor();
    await page.getByRole("button", { name: "I accept" }).click();
    await value(page).waitFor();
    check(/^\d+$|^LO$|^HI$/.test(await value(page).innerText()), "a glucose value");
  });

  await step("sign out", async () => {
    await page.getByRole("button", { name: "Settings" }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Try the demo" }).waitFor();
  });

  await step("two patients: pick the second, the choice is remembered", async () => {
    await signIn(page, "family@tidewatch.test", "family123");
    await value(page).waitFor();
    const picker = page.getByLabel("Patient");
    await picker.selectOption({ label: "Sam Example" });
    await page.waitForFunction(() => document.querySelector("select").selectedOptions[0].text === "Sam Example");
    await value(page).waitFor();
    await page.reload();
    await value(page).waitFor();
    await page.waitForFunction(() => document.querySelector("select")?.selectedOptions[0]?.text === "Sam Example");
  });

  await step("switch units to mmol/L", async () => {
    await page.getByRole("button", { name: "Settings" }).click();
    await page.getByRole("button", { name: "mmol/L" }).click();
    await page.getByRole("button", { name: "Done" }).click();
    await page.waitForFunction(() => /^\d+\.\d$|^LO$|^HI$/.test(document.querySelector("[data-testid=value]").textContent));
    check((await page.locator(".glance .unit").innerText()) === "mmol/L" || ["LO", "HI"].includes(await value(page).innerText()), "unit");
    await page.getByRole("button", { name: "Settings" }).click();
    await page.getByRole("button", { name: "mg/dL" }).click();
    await page.getByRole("button", { name: "Done" }).click();
  });

  await step("the follow view has no serious accessibility violations; screenshots", async () => {
    await page.getByLabel("Patient").selectOption({ label: "Demo Patient" });
    await page.waitForTimeout(1500);
    await axe(page, "follow");
    await page.screenshot({ path: `${shots}/follow-light.png` });
    await page.screenshot({ path: `${shots}/follow-light-full.png`, fullPage: true });
  });

  await step("the app is installable (no installability errors)", async () => {
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    check(installabilityErrors.length === 0, JSON.stringify(installabilityErrors));
  });

  await step("offline: a reload shows the last data with its age and an offline mark", async () => {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    const before = await value(page).innerText();
    await context.setOffline(true);
    await page.reload();
    await value(page).waitFor();
    check((await value(page).innerText()) === before, "the same value offline");
    await page.locator(".badge.offline").waitFor();
    check((await page.getByTestId("age").innerText()).includes("ago") || (await page.getByTestId("age").innerText()).includes("just now"), "age shown");
    await page.screenshot({ path: `${shots}/offline-light.png` });
    await context.setOffline(false);
  });
  await context.close();

  await step("a stale upstream shows \"stale\", greyed (dark mode)", async () => {
    const { context, page } = await phone("dark");
    await signIn(page, "stale@tidewatch.test", "stale123");
    await page.getByTestId("state").waitFor();
    check((await page.getByTestId("state").innerText()) === "Stale: not the current value", "stale state");
    check((await page.locator("section.glance").getAttribute("data-freshness")) === "stale", "freshness");
    await page.screenshot({ path: `${shots}/stale-dark.png` });
    await context.close();
  });

  await step("the demo in dark mode, and bedside mode", async () => {
    const { context, page } = await phone("dark");
    await page.goto(base);
    await page.getByRole("button", { name: "Try the demo" }).click();
    await value(page).waitFor();
    await page.waitForTimeout(1000);
    await page.screenshot({ path: `${shots}/follow-dark.png` });
    await page.getByRole("button", { name: "Bedside mode" }).click();
    await page.locator(".bedside-value").waitFor();
    await page.screenshot({ path: `${shots}/bedside-dark.png` });
    await page.locator(".bedside").click();
    await page.locator(".bedside").waitFor({ state: "detached" });
    await context.close();
  });
} catch (e) {
  process.exitCode = 1;
}
// Open browsers would keep node alive after a failure.
process.exit(process.exitCode ?? 0);
