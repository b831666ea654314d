// Stoa's only script, and an optional one: every action is a form that works without it.
// It sends votes in the background and updates the score in place, and opens the comment
// form under a post.
"use strict";

// Every vote button on a thread page belongs to the page's one vote form (#votes): the button
// pressed names the vote (up, down, or none to take it back) and carries its post.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  const button = event.submitter;
  if (!(form instanceof HTMLFormElement) || form.id !== "votes" || !button) {
    return;
  }
  event.preventDefault();
  const body = new URLSearchParams(new FormData(form, button));
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) {
      throw new Error(`vote refused: ${response.status}`);
    }
    const result = await response.json();
    const post = button.parentElement;
    post.querySelector(".score").textContent = String(result.score);
    for (const vote of post.querySelectorAll("button.vote")) {
      const direction = vote.classList.contains("up") ? "up" : "down";
      const on = result.vote === direction;
      vote.classList.toggle("on", on);
      vote.setAttribute("aria-pressed", String(on));
      vote.name = on ? "none" : direction;
    }
  } catch {
    // Let the server answer the ordinary way (it explains a refusal on a page).
    const value = document.createElement("input");
    value.type = "hidden";
    value.name = button.name;
    value.value = button.value;
    form.append(value);
    form.submit();
  }
});

// On a thread page, "Add a comment" leads to a page with the form; here the page's one comment
// form (a <template>) opens under the post instead.
const commentForm = document.getElementById("comment-form");
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.comment-add") : null;
  const plainClick = event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey;
  if (!link || !plainClick || !(commentForm instanceof HTMLTemplateElement)) {
    return;
  }
  event.preventDefault();
  const post = link.closest("article.post").id.slice("post-".length);
  const form = commentForm.content.firstElementChild.cloneNode(true);
  form.action = link.href;
  // A key of its own per form, so that a second comment is not taken for the first sent again.
  form.elements.namedItem("key").value += `-${post}`;
  const field = form.querySelector("textarea");
  field.id = `comment-${post}-body`;
  form.querySelector("label").htmlFor = field.id;
  link.replaceWith(form);
  field.focus();
});

// On the ask page: while the title is typed, list the questions like it (the server does the
// same on the first submission when this script does not run).
const title = document.getElementById("title");
const similar = document.getElementById("similar-questions");
if (title instanceof HTMLInputElement && similar) {
  const list = similar.querySelector("ul.suggestions");
  const shown = title.form?.elements.namedItem("similar");
  let timer;
  let asked = "";
  const suggest = async () => {
    const text = title.value.trim();
    if (text === asked) {
      return;
    }
    asked = text;
    if (text.length < 4) {
      similar.hidden = true;
      return;
    }
    try {
      const response = await fetch(`/api/v1/similar?title=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok || text !== asked) {
        return;
      }
      const { questions } = await response.json();
      list.replaceChildren(
        ...questions.map((q) => {
          const item = document.createElement("li");
          const link = document.createElement("a");
          link.href = q.url;
          link.textContent = q.title;
          const note = document.createElement("span");
          note.className = q.solved ? "solved-mark" : "hint";
          note.textContent = q.solved
            ? "✓ solved"
            : `${q.answer_count} ${q.answer_count === 1 ? "answer" : "answers"}`;
          item.append(link, " ", note);
          return item;
        }),
      );
      similar.hidden = questions.length === 0;
      if (shown instanceof HTMLInputElement) {
        shown.value = "1";
      }
    } catch {
      // Suggestions are a help, not a step: the form posts without them.
    }
  };
  title.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 350);
  });
}
