export default function (component) {
  const box = component.parentElement.host || component.parentElement;
  const container = box.closest ? box.closest('[data-testid="stElementContainer"]') : null;
  if (container) container.style.display = "none";
  const data = component.data;
  loadPlotly(data.plotly_url, data.plotly_gz_url).catch(() => {});  // a chart shows any failure
}
