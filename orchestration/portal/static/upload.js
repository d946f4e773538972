// Drag and drop for the upload form. Without JavaScript the file input works alone; this
// only puts a dropped file into that input (the same form posts it).
(function () {
  const zone = document.getElementById("drop-zone");
  const input = document.getElementById("file-input");
  const shown = document.getElementById("dropped-name");
  if (!zone || !input) return;
  const prefix = document.documentElement.lang === "en" ? zone.dataset.droppedEn : zone.dataset.droppedJa;
  const show = () => { shown.textContent = input.files.length ? prefix + input.files[0].name : ""; };
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  input.addEventListener("change", show);
})();
