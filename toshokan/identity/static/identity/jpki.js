// My Number card pages: "copy" buttons for the challenge and the demo command. Without script the
// text stays selectable and the buttons stay hidden.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.dataset.copied = "true";
    });
  }
  const refusal = document.getElementById("jpki-refusal");
  if (refusal) refusal.focus();
});
