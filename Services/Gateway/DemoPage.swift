/// The demo page: both assistants, on the browser client (`/tutorline-client.js`), answers
/// streamed through native `EventSource`. Plain HTML, CSS and a JavaScript module, no build step. `?ask-tutor=…` and `?ask-guide=…` ask on load.
///
/// Each assistant's conversation id (and the demo sign-in) is kept in `localStorage`: a reload
/// reads the conversation back (`GET <prefix>/sessions/:id`) and follows a running answer from its
/// first event, so its text shows once, complete. A Stop button stops a streaming answer.
/// `?then=reload:N` or `?then=stop:N` reloads the page, or presses Stop, once N pieces have
/// arrived: how the browser test drives those two moments.
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
  .msg.stopped .status { color: var(--muted); font-style: italic; }
  .stop { margin-left: 8px; font-size: 12px; }
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
      <div><span class="signed" hidden></span><button class="secondary signin" type="button">Sign in as demo user</button> <button class="secondary new" type="button">New chat</button></div>
    </header>
    <div class="log" aria-live="polite"></div>
    <form><input type="text" placeholder="Ask about the course…" maxlength="4000" required><button class="primary" disabled>Ask</button></form>
  </section>
  <section class="bot" id="guide">
    <header><div><h2>Landing guide</h2><small>Courses, pricing, how it works · anonymous</small></div><button class="secondary new" type="button">New chat</button></header>
    <div class="log" aria-live="polite"></div>
    <form><input type="text" placeholder="Which course suits me?" maxlength="4000" required><button class="primary">Ask</button></form>
  </section>
</main>
<script type="module">
import { createClient } from "/tutorline-client.js";

const bots = {
  tutor: { el: document.getElementById("tutor"), token: null, courseId: "ai-native-fullstack-developer" },
  guide: { el: document.getElementById("guide") },
};
const tutorline = createClient({ token: () => bots.tutor.token });
const stored = {
  get: (key) => { try { return localStorage.getItem("tutorline." + key); } catch { return null; } },
  set: (key, value) => { try { value === null ? localStorage.removeItem("tutorline." + key) : localStorage.setItem("tutorline." + key, value); } catch {} },
};
const params = new URLSearchParams(location.search);
// The browser test's hook: after N pieces, reload once or press Stop.
const [thenAction, thenCount] = (params.get("then") || "").split(":");
let thenDone = stored.get("then-done") === location.search;

function add(bot, cls, text) {
  const div = document.createElement("div");
  div.className = "msg " + cls;
  div.textContent = text;
  bot.el.querySelector(".log").appendChild(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

function sessionOf(name) {
  let id = stored.get("session." + name);
  if (!id) {
    id = crypto.randomUUID();
    stored.set("session." + name, id);
  }
  return id;
}

function showSignedIn(bot, sub) {
  bot.el.querySelector(".signin").hidden = true;
  const label = bot.el.querySelector(".signed");
  label.hidden = false;
  label.textContent = "Signed in as " + sub;
  bot.el.querySelector("button.primary").disabled = false;
}

function showSignedOut(bot) {
  bot.token = null;
  stored.set("token", null);
  bot.el.querySelector(".signin").hidden = false;
  bot.el.querySelector(".signed").hidden = true;
}

async function signIn() {
  const bot = bots.tutor;
  const response = await fetch("/demo/token", { method: "POST" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) { add(bot, "bot error", (body.error && body.error.message) || "Sign-in failed."); return false; }
  bot.token = body.token;
  stored.set("token", body.token);
  stored.set("sub", body.sub);
  showSignedIn(bot, body.sub);
  return true;
}

/// An answer bubble: its text, a status line, and the sources and suggestions once completed.
function replyBubble(bot) {
  const reply = add(bot, "bot", "");
  const text = document.createElement("span");
  const status = document.createElement("span");
  status.className = "status";
  reply.append(text, status);
  return { reply, text, status };
}

function showExtras(name, reply, sources, suggestions) {
  const titles = [...new Set((sources || []).map((s) => s.lessonTitle))];
  if (titles.length) {
    const div = document.createElement("div");
    div.className = "sources";
    div.textContent = "Sources: " + titles.join(" · ");
    reply.appendChild(div);
  }
  if ((suggestions || []).length) {
    const list = document.createElement("div");
    list.className = "suggestions";
    for (const suggestion of suggestions) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = suggestion;
      button.onclick = () => ask(name, suggestion);
      list.appendChild(button);
    }
    reply.appendChild(list);
  }
}

function showStopped(bubble, answer) {
  bubble.text.textContent = answer;
  bubble.reply.classList.add("stopped");
  bubble.reply.dataset.state = "stopped";
  bubble.status.textContent = "Stopped";
}

function showFailed(bubble, error) {
  bubble.reply.classList.add("error");
  bubble.reply.dataset.state = "failed";
  const wait = error.retryAfter ? " (retry in " + error.retryAfter + " s)" : "";
  bubble.status.textContent = error.message + wait;
}

async function ask(name, question) {
  const bot = bots[name];
  add(bot, "user", question);
  const bubble = replyBubble(bot);
  bubble.reply.dataset.state = "asking";
  bubble.status.textContent = "Sending…";
  const asked = { question, sessionId: sessionOf(name) };
  if (bot.courseId) asked.courseId = bot.courseId;
  try {
    follow(name, bubble, await tutorline[name].ask(asked));
  } catch (error) {
    showFailed(bubble, error);
  }
}

/// Follows a job's stream into its bubble, from its first event (a replay shows the text once).
function follow(name, bubble, job) {
  const { reply, text, status } = bubble;
  status.textContent = "Queued…";
  let pieces = 0;
  const stop = document.createElement("button");
  stop.type = "button";
  stop.className = "secondary stop";
  stop.textContent = "Stop";
  stop.onclick = async () => {
    stop.disabled = true;
    try {
      await tutorline[name].stop(job);
    } catch (error) {
      // Not stopped (an expired sign-in, too many requests, no network): say so, and let it be pressed again.
      status.textContent = "Could not stop: " + error.message;
      stop.disabled = false;
    }
  };
  reply.appendChild(stop);
  const following = tutorline.follow(job, {
    onStatus: (s) => { status.textContent = s === "PROCESSING" ? "Thinking…" : "Queued…"; },
    onReconnecting: () => { status.textContent = "Connection lost; reconnecting…"; },
    onText: (answer, piece) => {
      text.textContent = answer;
      if (!piece) return;
      reply.dataset.state = "streaming";
      status.textContent = "Answering…";
      reply.scrollIntoView({ block: "end" });
      pieces += 1;
      if (!thenDone && thenAction && pieces === Number(thenCount)) {
        thenDone = true;
        stored.set("then-done", location.search);
        if (thenAction === "reload") location.reload();
        if (thenAction === "stop") stop.click();
      }
    },
  });
  following.done.then(
    ({ answer, result, stopped }) => {
      stop.remove();
      if (stopped) { showStopped(bubble, answer); return; }
      text.textContent = answer;
      reply.dataset.state = "completed";
      status.remove();
      showExtras(name, reply, result.sources, result.nextSuggestions);
    },
    (error) => {
      stop.remove();
      showFailed(bubble, error.code === "timeout" ? { message: "No answer arrived in time; please ask again." } : error);
    },
  );
}

/// Reads the stored conversation back: its messages, and any answer still running, followed.
async function restore(name) {
  const bot = bots[name];
  const id = stored.get("session." + name);
  if (!id) return;
  let session;
  try {
    session = await tutorline[name].conversation(id);
  } catch (error) {
    // Gone (deleted, or another user's): start afresh. An expired sign-in: sign in again.
    if (error.status === 404 || error.status === 403) stored.set("session." + name, null);
    if (error.status === 401 && name === "tutor") showSignedOut(bot);
    return;
  }
  // Which conversations were read back (the browser test looks).
  document.body.dataset.restored = ((document.body.dataset.restored || "") + " " + name).trim();
  for (const message of session.messages) {
    if (message.role === "user") { add(bot, "user", message.content); continue; }
    const bubble = replyBubble(bot);
    if (message.stopped) { showStopped(bubble, message.content); continue; }
    bubble.text.textContent = message.content;
    bubble.reply.dataset.state = "completed";
    bubble.status.remove();
    showExtras(name, bubble.reply, message.sources, message.nextSuggestions);
  }
  for (const job of session.running) {
    add(bot, "user", job.question);
    follow(name, replyBubble(bot), job);
  }
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
  bot.el.querySelector(".new").addEventListener("click", () => {
    stored.set("session." + name, null);
    bot.el.querySelector(".log").replaceChildren();
  });
}
bots.tutor.el.querySelector(".signin").addEventListener("click", signIn);

if (stored.get("token")) {
  bots.tutor.token = stored.get("token");
  showSignedIn(bots.tutor, stored.get("sub") || "you");
}
await Promise.all([restore("guide"), bots.tutor.token ? restore("tutor") : Promise.resolve()]);
// A reload keeps the question in the URL: it is asked on the first load only.
if (!(thenDone && thenAction === "reload")) {
  if (params.get("ask-guide")) ask("guide", params.get("ask-guide"));
  if (params.get("ask-tutor") && (bots.tutor.token || await signIn())) ask("tutor", params.get("ask-tutor"));
}
</script>
</body>
</html>
"""#
}
