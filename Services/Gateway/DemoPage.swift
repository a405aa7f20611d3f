/// The demo page: both assistants, answers streamed through native `EventSource`.
/// Plain HTML, CSS and JavaScript, no build step. `?ask-tutor=…` and `?ask-guide=…` ask on load.
enum DemoPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tutorline demo</title>
<style>
  :root { --ink: #1d2433; --muted: #667085; --line: #e4e7ec; --accent: #3857f5; --bad: #b42318; --ok: #067647; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7fb; }
  header { padding: 18px 28px; background: white; border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 20px; }
  header p { margin: 4px 0 0; color: var(--muted); }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; padding: 20px 28px; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
  section.bot { background: white; border: 1px solid var(--line); border-radius: 12px; display: flex; flex-direction: column; min-height: 560px; }
  .bot > header { border-radius: 12px 12px 0 0; padding: 14px 18px; display: flex; justify-content: space-between; align-items: center; gap: 12px; }
  .bot > header h2 { margin: 0; font-size: 16px; }
  .bot > header small { color: var(--muted); }
  .log { flex: 1; padding: 14px 18px; overflow-y: auto; display: flex; flex-direction: column; gap: 12px; }
  .msg { padding: 10px 12px; border-radius: 10px; max-width: 92%; white-space: pre-wrap; }
  .msg.user { align-self: flex-end; background: var(--accent); color: white; }
  .msg.bot { align-self: flex-start; background: #f2f4f7; }
  .msg .status { display: block; font-size: 12px; color: var(--muted); margin-top: 6px; }
  .msg.error { background: #fef3f2; color: var(--bad); }
  .sources { font-size: 12px; color: var(--muted); margin-top: 6px; }
  .suggestions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
  .suggestions button { border: 1px solid var(--line); background: white; border-radius: 999px; padding: 4px 10px; font-size: 13px; cursor: pointer; }
  form { display: flex; gap: 8px; padding: 12px 18px; border-top: 1px solid var(--line); }
  input[type=text] { flex: 1; padding: 10px 12px; border: 1px solid var(--line); border-radius: 8px; font: inherit; }
  button.primary { background: var(--accent); color: white; border: 0; border-radius: 8px; padding: 0 16px; font: inherit; cursor: pointer; }
  button.secondary { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  .signed { color: var(--ok); font-size: 13px; }
</style>
</head>
<body>
<header>
  <h1>Tutorline</h1>
  <p>Two assistants; each answer streams in through a native <code>EventSource</code> the moment it exists.</p>
</header>
<main>
  <section class="bot" id="tutor">
    <header>
      <div><h2>Course tutor</h2><small>AI Native FullStack Developer · signed-in learners</small></div>
      <div><span class="signed" hidden></span><button class="secondary signin" type="button">Sign in as demo user</button></div>
    </header>
    <div class="log" aria-live="polite"></div>
    <form><input type="text" placeholder="Ask about the course…" maxlength="4000" required><button class="primary" disabled>Ask</button></form>
  </section>
  <section class="bot" id="guide">
    <header><div><h2>Landing guide</h2><small>Courses, pricing, how it works · anonymous</small></div></header>
    <div class="log" aria-live="polite"></div>
    <form><input type="text" placeholder="Which course suits me?" maxlength="4000" required><button class="primary">Ask</button></form>
  </section>
</main>
<script>
"use strict";
const bots = {
  tutor: { el: document.getElementById("tutor"), url: "/assistant/query", token: null, sessionId: null, courseId: "ai-native-fullstack-developer" },
  guide: { el: document.getElementById("guide"), url: "/api/landing-assistant/query", token: null, sessionId: null },
};

function add(bot, cls, text) {
  const div = document.createElement("div");
  div.className = "msg " + cls;
  div.textContent = text;
  bot.el.querySelector(".log").appendChild(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

async function signIn() {
  const bot = bots.tutor;
  const response = await fetch("/demo/token", { method: "POST" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) { add(bot, "bot error", (body.error && body.error.message) || "Sign-in failed."); return false; }
  bot.token = body.token;
  bot.el.querySelector(".signin").hidden = true;
  const label = bot.el.querySelector(".signed");
  label.hidden = false;
  label.textContent = "Signed in as " + body.sub;
  bot.el.querySelector("button.primary").disabled = false;
  return true;
}

async function ask(name, question) {
  const bot = bots[name];
  add(bot, "user", question);
  const reply = add(bot, "bot", "");
  reply.dataset.state = "asking";
  const text = document.createElement("span");
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = "Sending…";
  reply.append(text, status);
  const fail = (message) => {
    reply.classList.add("error");
    reply.dataset.state = "failed";
    status.textContent = message;
  };
  const payload = { question };
  if (bot.courseId) payload.courseId = bot.courseId;
  if (bot.sessionId) payload.sessionId = bot.sessionId;
  const headers = { "Content-Type": "application/json" };
  if (bot.token) headers.Authorization = "Bearer " + bot.token;
  let accepted;
  try {
    const response = await fetch(bot.url, { method: "POST", headers, body: JSON.stringify(payload) });
    accepted = await response.json().catch(() => ({}));
    if (!response.ok) {
      const wait = response.headers.get("Retry-After");
      fail(((accepted.error && accepted.error.message) || ("Error " + response.status)) + (wait ? " (retry in " + wait + " s)" : ""));
      return;
    }
  } catch (error) {
    fail("The service could not be reached.");
    return;
  }
  status.textContent = "Queued…";
  let answer = "";
  let opened = false;
  const source = new EventSource(accepted.streamUrl);
  const finish = () => source.close();
  source.onopen = () => {
    if (opened) status.textContent = "Reconnected; resuming where we left off…";
    opened = true;
  };
  source.onerror = () => {
    if (reply.dataset.state === "completed" || reply.dataset.state === "failed") return;
    status.textContent = source.readyState === EventSource.CONNECTING ? "Connection lost; reconnecting…" : "The stream closed.";
    if (source.readyState === EventSource.CLOSED) fail("The stream could not be opened.");
  };
  source.addEventListener("status", (event) => {
    const s = JSON.parse(event.data).status;
    status.textContent = s === "PROCESSING" ? "Thinking…" : "Queued…";
  });
  source.addEventListener("reset", () => { answer = ""; text.textContent = ""; });
  source.addEventListener("delta", (event) => {
    answer += JSON.parse(event.data).text;
    text.textContent = answer;
    reply.dataset.state = "streaming";
    status.textContent = "Answering…";
    reply.scrollIntoView({ block: "end" });
  });
  source.addEventListener("completed", (event) => {
    finish();
    const result = JSON.parse(event.data);
    bot.sessionId = result.sessionId;
    text.textContent = result.answer;
    reply.dataset.state = "completed";
    status.textContent = "";
    status.remove();
    const titles = [...new Set((result.sources || []).map((s) => s.lessonTitle))];
    if (titles.length) {
      const sources = document.createElement("div");
      sources.className = "sources";
      sources.textContent = "Sources: " + titles.join(" · ");
      reply.appendChild(sources);
    }
    if ((result.nextSuggestions || []).length) {
      const list = document.createElement("div");
      list.className = "suggestions";
      for (const suggestion of result.nextSuggestions) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = suggestion;
        button.onclick = () => ask(name, suggestion);
        list.appendChild(button);
      }
      reply.appendChild(list);
    }
  });
  source.addEventListener("failed", (event) => { finish(); fail(JSON.parse(event.data).error); });
  source.addEventListener("timeout", () => { finish(); fail("No answer arrived in time; please ask again."); });
}

for (const [name, bot] of Object.entries(bots)) {
  const form = bot.el.querySelector("form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.querySelector("input");
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    ask(name, question);
  });
}
bots.tutor.el.querySelector(".signin").addEventListener("click", signIn);

(async () => {
  const params = new URLSearchParams(location.search);
  if (params.get("ask-guide")) ask("guide", params.get("ask-guide"));
  if (params.get("ask-tutor") && await signIn()) ask("tutor", params.get("ask-tutor"));
})();
</script>
</body>
</html>
"""#
}
