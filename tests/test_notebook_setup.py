"""The chapters' shared set-up, plotly renderers, data-file lookup and built-in sliders."""

import os

import numpy as np
import plotly.io as pio
import pytest

from superscale import bookdata, figures, notebook


def test_pick_device_cpu_and_errors():
    assert notebook.pick_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="device"):
        notebook.pick_device("tpu")
    import torch

    if not torch.cuda.is_available():
        assert notebook.pick_device() == "cpu"
        with pytest.raises(ValueError, match="no CUDA"):
            notebook.pick_device("cuda")


def test_seed_everything_is_reproducible():
    import torch

    notebook.seed_everything(5)
    a = (np.random.rand(), torch.rand(1).item())
    notebook.seed_everything(5)
    assert (np.random.rand(), torch.rand(1).item()) == a


def test_book_renderer_omits_plotlyjs(monkeypatch):
    monkeypatch.setenv("SUPERSCALE_BOOK_BUILD", "1")
    assert figures.setup_plotly() == figures.BOOK_RENDERER
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=np.arange(100), y=1.0 / np.arange(1, 101)))
    bundle = pio.renderers[figures.BOOK_RENDERER].to_mimebundle(fig.to_dict())
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html
    assert len(html) < 200_000  # no embedded plotly.js (which is about 4.8 MB)
    assert "cdn" not in html.lower()


def test_slider_figure_steps_toggle_visibility():
    import plotly.graph_objects as go

    steps = [1, 2, 3]
    fig = figures.slider_figure(steps, lambda s: [go.Scatter(y=[s, s]), go.Scatter(y=[0, s])], prefix="k = ")
    assert len(fig.data) == 6
    sl = fig.layout.sliders[0]
    assert len(sl.steps) == 3
    for k, st in enumerate(sl.steps):
        vis = st.args[0]["visible"]
        assert sum(vis) == 2 and vis[2 * k] and vis[2 * k + 1]
    assert [t.visible for t in fig.data] == [True, True, False, False, False, False]
    with pytest.raises(ValueError, match="same number"):
        figures.slider_figure([1, 2], lambda s: [go.Scatter()] * s)
    with pytest.raises(ValueError, match="active"):
        figures.slider_figure([1, 2], lambda s: [go.Scatter()], active=5)


def test_data_path(tmp_path, monkeypatch):
    (tmp_path / "x.nc").write_bytes(b"")
    monkeypatch.setenv(bookdata.DATA_ENV, str(tmp_path))
    monkeypatch.setenv(bookdata.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(bookdata.OFFLINE_ENV, "1")
    assert bookdata.data_path("x.nc") == tmp_path / "x.nc"
    with pytest.raises(FileNotFoundError, match="(?s)not found.*downloads are off"):
        bookdata.data_path("does-not-exist.nc")
    with pytest.raises(ValueError, match="plain file name"):
        bookdata.data_path("../x.nc")
    assert os.environ[bookdata.DATA_ENV] == str(tmp_path)


def test_data_path_downloads_into_cache(tmp_path, monkeypatch):
    # an installed copy without the repository: the file comes from the data URL (here a local folder)
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "paper-small.nc").write_bytes(b"netcdf bytes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(bookdata.DATA_ENV, raising=False)
    monkeypatch.delenv(bookdata.OFFLINE_ENV, raising=False)
    monkeypatch.setenv(bookdata.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(bookdata.URL_ENV, remote.as_uri())
    monkeypatch.setattr(bookdata, "data_dirs", lambda: [tmp_path / "nowhere", bookdata.cache_dir()])
    p = bookdata.data_path("paper-small.nc")
    assert p == tmp_path / "cache" / "paper-small.nc" and p.read_bytes() == b"netcdf bytes"
    # a failed download names the URL and leaves nothing half-written in the cache
    with pytest.raises(FileNotFoundError, match=r"(?s)could not download file://.*missing\.nc"):
        bookdata.data_path("missing.nc")
    assert sorted(f.name for f in (tmp_path / "cache").iterdir()) == ["paper-small.nc"]
    # the default URL is the repository of _config.yml, on its branch
    monkeypatch.delenv(bookdata.URL_ENV)
    url = bookdata.data_url("paper-small.nc")
    assert url.startswith(superscale_repository_url()) and url.endswith("/book/data/paper-small.nc")


def superscale_repository_url() -> str:
    from superscale import _repository

    return f"{_repository.URL}/raw/{_repository.BRANCH}/"
