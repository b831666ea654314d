// Stoa's only script, and an optional one: every action is a form that works without it.
// It sends vote forms in the background and updates the score in place.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  const button = event.submitter;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote-form") || !button) {
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
    form.querySelector(".score").textContent = String(result.score);
    for (const vote of form.querySelectorAll("button.vote")) {
      const direction = vote.classList.contains("up") ? "up" : "down";
      const on = result.vote === direction;
      vote.classList.toggle("on", on);
      vote.setAttribute("aria-pressed", String(on));
      vote.value = on ? "none" : direction;
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
