"""The embedding seam: the fake embedder's contract, settings and model lookup errors,
and (marked ``integration``) the real packaged model on the torch and onnx backends."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.embed import (
    DEFAULT_MODEL,
    EmbedSettings,
    Embedder,
    FakeEmbedder,
    embed_in_length_order,
    load_embedder,
    resolve_model,
)
from pipeline.embed.onnx_export import MIN_COSINE, onnx_model_file
from pipeline.errors import ConfigError, ModelError

TEXTS = [
    "We trained the nurses in June.",
    "ok",
    "The board agreed to buy the new dashboard after a long discussion in May.",
    "",
    "Nobody questions the consultant here.",
]


# --------------------------------------------------------------------------- fake embedder


def test_fake_is_an_embedder_and_loads_by_name() -> None:
    embedder = load_embedder(EmbedSettings(model="fake"))
    assert isinstance(embedder, FakeEmbedder)
    assert isinstance(embedder, Embedder)
    assert embedder.identity == "fake-v1"


def test_fake_shape_dtype_and_unit_rows() -> None:
    vectors = FakeEmbedder().embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 64)
    assert vectors.dtype == np.float32
    # the empty text too: a fixed unit vector, not NaN
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_fake_is_deterministic_across_instances() -> None:
    # blake2b, not hash(): the same text must give the same vector in every process
    np.testing.assert_array_equal(FakeEmbedder().embed(TEXTS), FakeEmbedder().embed(TEXTS))


def test_fake_rows_do_not_depend_on_batch_or_order() -> None:
    embedder = FakeEmbedder()
    together = embedder.embed(TEXTS)
    alone = np.vstack([embedder.embed([text]) for text in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    reversed_rows = embedder.embed(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(together, reversed_rows, atol=1e-6)


@pytest.mark.parametrize(
    "anchor, related, unrelated",
    [
        # shared content words
        ("The nurses were trained in June", "Training for the nurses ran in June", "Funding came from a grant"),
        # shared word pieces only (implemented / implementation)
        ("It was implemented quickly", "implementation was quick", "The weather stayed sunny"),
    ],
)
def test_fake_texts_sharing_words_are_closer(anchor: str, related: str, unrelated: str) -> None:
    a, r, u = FakeEmbedder().embed([anchor, related, unrelated])
    assert a @ r > a @ u + 0.1


def test_fake_empty_input_gives_empty_matrix() -> None:
    assert FakeEmbedder().embed([]).shape == (0, 64)


def test_fake_reads_only_its_window() -> None:
    # like a real model, words past max_tokens do not change the vector
    embedder = FakeEmbedder(max_tokens=5)
    head = "one two three four five"
    np.testing.assert_array_equal(embedder.embed([head]), embedder.embed([head + " six seven"]))


def test_fake_other_dimension_has_its_own_identity() -> None:
    # the store caches vectors by identity: a different width must never share a key
    embedder = FakeEmbedder(dimension=32)
    assert embedder.embed(["x"]).shape == (1, 32)
    assert embedder.identity != FakeEmbedder().identity


# --------------------------------------------------------------------------- length ordering


def test_batches_are_sorted_by_length_and_rows_return_in_input_order() -> None:
    texts = ["a" * n for n in (3, 9, 1, 7, 5, 2, 8)]
    batches: list[list[str]] = []

    def encode(batch: list[str]) -> np.ndarray:
        batches.append(batch)
        return np.array([[len(t), 0.0] for t in batch], dtype=np.float32)

    out = embed_in_length_order(texts, 3, encode, 2)
    assert [len(t) for batch in batches for t in batch] == [9, 8, 7, 5, 3, 2, 1]
    assert [len(b) for b in batches] == [3, 3, 1]
    assert out[:, 0].tolist() == [len(t) for t in texts]


# --------------------------------------------------------------------------- settings and lookup


@pytest.mark.parametrize(
    "settings, fragment",
    [
        (EmbedSettings(backend="tensorflow"), "torch, onnx, onnx-int8, torch-bf16, openvino-bf16"),  # lists the choices
        (EmbedSettings(batch_size=0), "batch_size"),
        (EmbedSettings(threads=0), "threads"),
        (EmbedSettings(model="  "), "model is empty"),
    ],
)
def test_bad_settings_raise_config_error(settings: EmbedSettings, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_embedder(settings)


def test_missing_model_folder_raises_model_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match="no-such-model") as info:
        load_embedder(EmbedSettings(model=str(missing)))
    assert str(missing) in str(info.value)


def test_unknown_hub_name_is_not_downloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty Hugging Face cache: the name must fail fast, naming the cache it searched
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        resolve_model("deductive-test/no-such-model-xyz")


def test_folder_without_model_files_raises_model_error(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("not a model", encoding="utf-8")
    with pytest.raises(ModelError, match="no model files"):
        resolve_model(str(tmp_path))


@pytest.mark.integration  # imports sentence-transformers (~4.5 s)
def test_unloadable_folder_raises_model_error_not_a_fallback(tmp_path: Path) -> None:
    # a config but no weights: loading must fail loudly, never pick another model
    (tmp_path / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    with pytest.raises(ModelError, match="cannot be loaded"):
        load_embedder(EmbedSettings(model=str(tmp_path)))


def test_identity_changes_when_weights_change(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "model.safetensors").write_bytes(b"weights-1")
    first = resolve_model(str(tmp_path)).identity("torch")
    (tmp_path / "model.safetensors").write_bytes(b"weights-2!")
    second = resolve_model(str(tmp_path)).identity("torch")
    assert first != second
    assert first.startswith(f"{tmp_path.name}@") and first.endswith(":torch")


def test_importing_the_seam_does_not_import_heavy_libraries() -> None:
    # sentence_transformers costs ~4.5 s to import: only loading a real model may pay it
    import subprocess

    code = "import sys, pipeline.embed; print(any(m in sys.modules for m in ('sentence_transformers', 'torch', 'onnxruntime')))"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_atomic_write_leaves_nothing_when_the_writer_fails(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from pipeline.embed.onnx_backend import atomic_write

    target = tmp_path / "model.onnx"

    def half_write(tmp: Path) -> None:
        tmp.write_bytes(b"half a model")
        raise KeyboardInterrupt  # what a killed export looks like from inside

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half_write)
    assert list(tmp_path.iterdir()) == []
    atomic_write(target, lambda tmp: tmp.write_bytes(b"whole"))
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]


# --------------------------------------------------------------------------- the onnx default and its fallback


def test_onnx_is_the_default_backend() -> None:
    from pipeline.config import Settings

    assert EmbedSettings().backend == "onnx" and Settings().embedding.backend == "onnx"


@pytest.fixture()
def model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"weights")
    return folder


@pytest.fixture()
def torch_stand_in(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records which models the torch backend was asked for (loading the real one costs ~5 s)."""
    import pipeline.embed.backends as backends

    asked: list[str] = []

    def fake_torch(source, settings):  # noqa: ANN001, ANN202
        asked.append(source.name)
        return FakeEmbedder()

    monkeypatch.setattr(backends, "_torch", fake_torch)
    return asked


def _write_modules(folder: Path, pooling: dict) -> None:
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling), encoding="utf-8")


@pytest.mark.parametrize(
    "setup, reason",
    [
        # CLS pooling: the numpy mean pooling would give other vectors
        (lambda f: _write_modules(f, {"pooling_mode_cls_token": True}), "mean pooling only"),
        # no tokenizer.json: the tokenizers library cannot tokenise like the model
        (lambda f: _write_modules(f, {"pooling_mode_mean_tokens": True}), "tokenizer.json"),
        # sentence-transformers 6 writes one "pooling_mode" key (a model tuned here has it):
        # mean pooling passes the pooling check, CLS does not
        (lambda f: _write_modules(f, {"pooling_mode": "mean", "include_prompt": True}), "tokenizer.json"),
        (lambda f: _write_modules(f, {"pooling_mode": "cls"}), "mean pooling only"),
        (lambda f: _write_modules(f, {"pooling_mode": ["mean", "max"]}), "mean pooling only"),
    ],
)
def test_onnx_falls_back_to_torch_for_the_same_model_with_one_note(
    model_folder: Path, torch_stand_in: list[str], caplog: pytest.LogCaptureFixture, setup, reason: str  # noqa: ANN001
) -> None:
    setup(model_folder)
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="onnx"))
    assert torch_stand_in == ["tiny-model"]  # the same model, never another one
    notes = [r.getMessage() for r in caplog.records]
    assert len(notes) == 1 and reason in notes[0] and "using the torch backend" in notes[0]


def test_onnx_whose_vectors_differ_falls_back_but_int8_is_an_error(
    model_folder: Path, torch_stand_in: list[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.embed.onnx_backend as onnx_backend

    _write_modules(model_folder, {"pooling_mode_mean_tokens": True})

    class Session:
        def get_outputs(self):  # noqa: ANN202
            return [type("Out", (), {"shape": [None, None, 8]})()]

        def get_inputs(self):  # noqa: ANN202
            return []

    monkeypatch.setattr(onnx_backend, "load_tokenizer", lambda source, max_tokens: object())
    monkeypatch.setattr(onnx_backend, "onnx_model_file", lambda source, cache_dir, int8: model_folder / "m.onnx")
    monkeypatch.setattr(onnx_backend, "_open_session", lambda path, threads: Session())
    monkeypatch.setattr(onnx_backend, "checked_cosine", lambda source, path, embed: 0.998)
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="onnx"))
    assert torch_stand_in == ["tiny-model"] and "0.99800" in caplog.records[0].getMessage()
    # int8 is never checked against torch (it is approximate by design) and never swapped silently
    _write_modules_cls = model_folder / "1_Pooling" / "config.json"
    _write_modules_cls.write_text(json.dumps({"pooling_mode_cls_token": True}), encoding="utf-8")
    with pytest.raises(ModelError, match="mean pooling only"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="onnx-int8"))
    assert torch_stand_in == ["tiny-model"]


# --------------------------------------------------------------------------- the real model

SIMILAR = ("The nurses were trained to use the new system.", "Staff received training on the software.")
UNRELATED = "The weather was sunny all weekend."


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return load_embedder(EmbedSettings(backend="torch", threads=2))


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.mark.integration
def test_packaged_model_shape_and_window(torch_embedder: Embedder) -> None:
    vectors = torch_embedder.embed([*SIMILAR, UNRELATED])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert torch_embedder.dimension == 384 and torch_embedder.max_tokens == 256
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert torch_embedder.embed([]).shape == (0, 384)


@pytest.mark.integration
def test_packaged_model_puts_similar_sentences_closer(torch_embedder: Embedder) -> None:
    a, b, c = torch_embedder.embed([*SIMILAR, UNRELATED])
    assert a @ b > a @ c + 0.2


@pytest.mark.integration
def test_packaged_model_identity_is_stable(torch_embedder: Embedder) -> None:
    again = resolve_model(DEFAULT_MODEL).identity("torch")
    assert torch_embedder.identity == again
    assert torch_embedder.identity.startswith(f"{DEFAULT_MODEL}@") and torch_embedder.identity.endswith(":torch")


@pytest.mark.integration
def test_onnx_matches_torch_and_reuses_its_export(torch_embedder: Embedder, onnx_cache: Path) -> None:
    texts = [*SIMILAR, UNRELATED, "ok", "word " * 400]  # the last one is truncated by both
    onnx = load_embedder(EmbedSettings(backend="onnx", threads=2, cache_dir=onnx_cache))
    cosines = (onnx.embed(texts) * torch_embedder.embed(texts)).sum(axis=1)
    assert cosines.min() > 0.9999
    # the same vectors, so the same identity: cache entries and suggestion runs are shared
    assert onnx.identity == torch_embedder.identity

    exported = sorted(onnx_cache.rglob("*.onnx"))
    assert len(exported) == 1 and not list(onnx_cache.rglob("*.tmp"))
    check = json.loads(next(onnx_cache.rglob("check.*.json")).read_text())
    assert check["min_cosine"] >= MIN_COSINE  # checked once, at export
    stamp = exported[0].stat().st_mtime_ns
    load_embedder(EmbedSettings(backend="onnx", cache_dir=onnx_cache))
    assert exported[0].stat().st_mtime_ns == stamp  # reused, not exported again


@pytest.mark.integration
def test_onnx_runs_on_openvino_with_onnxruntimes_vectors(torch_embedder: Embedder, onnx_cache: Path) -> None:
    from pipeline.embed.onnx_backend import OnnxEmbedder, _open_session, load_tokenizer
    from pipeline.embed.openvino_backend import OpenVinoEmbedder

    onnx = load_embedder(EmbedSettings(backend="onnx", threads=2, cache_dir=onnx_cache))
    assert isinstance(onnx, OpenVinoEmbedder) and onnx.identity == torch_embedder.identity
    source = resolve_model(DEFAULT_MODEL)
    export = onnx_model_file(source, onnx_cache, int8=False)
    runtime = OnnxEmbedder(_open_session(export, 2), load_tokenizer(source, 256), "ort", 256)
    texts = [*SIMILAR, UNRELATED, "ok", "word " * 400, ""]
    np.testing.assert_allclose(onnx.embed(texts), runtime.embed(texts), atol=1e-5)
    assert json.loads(export.with_name(f"check.{export.stem}.openvino.json").read_text())["min_cosine"] >= MIN_COSINE


@pytest.mark.integration
@pytest.mark.parametrize("why", ["other vectors", "not installed"])
def test_onnx_uses_onnxruntime_where_openvino_cannot_serve(why: str, torch_embedder: Embedder, onnx_cache: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.embed.openvino_backend as openvino_backend
    from pipeline.embed.onnx_backend import OnnxEmbedder

    if why == "other vectors":
        monkeypatch.setattr(openvino_backend, "checked_cosine", lambda source, path, embed, runner: 0.999)
    else:
        monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now raises ImportError
    onnx = load_embedder(EmbedSettings(backend="onnx", threads=2, cache_dir=onnx_cache))
    assert isinstance(onnx, OnnxEmbedder) and onnx.identity == torch_embedder.identity


@pytest.mark.integration
def test_int8_stays_close_to_torch(torch_embedder: Embedder, onnx_cache: Path) -> None:
    int8 = load_embedder(EmbedSettings(backend="onnx-int8", threads=2, cache_dir=onnx_cache))
    cosines = (int8.embed([*SIMILAR, UNRELATED]) * torch_embedder.embed([*SIMILAR, UNRELATED])).sum(axis=1)
    assert cosines.min() > 0.95
    assert int8.identity.endswith(":onnx-int8-r2")  # the recipe is part of the identity


@pytest.mark.integration
def test_corrupt_export_raises_model_error_saying_delete_it(onnx_cache: Path, tmp_path: Path) -> None:
    source = resolve_model(DEFAULT_MODEL)
    from pipeline.embed.onnx_backend import RECIPE

    folder = tmp_path / f"{source.name}@{source.digest}"
    folder.mkdir()
    (folder / f"model.{RECIPE}.onnx").write_bytes(b"not an onnx file")
    with pytest.raises(ModelError, match="delete it"):
        load_embedder(EmbedSettings(backend="onnx", cache_dir=tmp_path))


# --------------------------------------------------------------------------- the vector cache


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def embed(self, texts):  # noqa: ANN001, ANN201
        self.calls.append(len(texts))
        return super().embed(texts)


def test_cache_embeds_each_new_text_once_in_chunks_and_keeps_input_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.embed.cache as cache
    from pipeline.store import Store

    monkeypatch.setattr(cache, "EMBED_CHUNK", 2)  # three chunks for five distinct texts
    store = Store(tmp_path / "store.sqlite", create=True)
    embedder = CountingEmbedder()
    texts = ["a b", "Yeah.", "c d", "Yeah.", "e f", "g h", "a b"]
    vectors, embedded = cache.embed_cached(store, embedder, texts)
    assert embedded == 5 and embedder.calls == [2, 2, 1]
    np.testing.assert_array_equal(vectors, FakeEmbedder().embed(texts))  # duplicates filled, order kept

    again, embedded = cache.embed_cached(store, embedder, ["new one", *texts])
    assert embedded == 1 and embedder.calls[-1] == 1  # only the new text reaches the model
    np.testing.assert_array_equal(again, FakeEmbedder().embed(["new one", *texts]))
    assert cache.embed_cached(store, embedder, [])[0].shape == (0, 0)
    store.close()


def test_open_embedder_names_the_model_now_and_loads_it_only_to_embed(tmp_path: Path) -> None:
    from pipeline.embed import open_embedder

    with pytest.raises(ModelError, match="no folder"):  # a missing model is still an error at once
        open_embedder(EmbedSettings(model=str(tmp_path / "nowhere")))
    assert isinstance(open_embedder(EmbedSettings(model="fake")), FakeEmbedder)
    # a run whose texts are all cached must not pay for onnxruntime or torch
    code = ("import sys; from pipeline.embed import open_embedder, EmbedSettings, resolve_model; "
            "e = open_embedder(EmbedSettings()); "
            "print(e.identity == resolve_model('all-MiniLM-L6-v2').identity('torch'), "
            "any(m in sys.modules for m in ('onnxruntime', 'torch', 'sentence_transformers')))")
    root = Path(__file__).resolve().parents[1]
    out = subprocess_run(code, root)
    assert out == "True False"


def subprocess_run(code: str, cwd: Path) -> str:
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_model_digest_is_remembered_across_processes_and_a_bad_memo_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.embed.source as source

    memo = tmp_path / "digests.json"
    monkeypatch.setattr(source, "DIGEST_MEMO", memo)
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"weights-1")
    first = resolve_model(str(folder)).digest
    assert list(json.loads(memo.read_text()).values()) == [first]
    source._digest.cache_clear()  # as a new process would start
    monkeypatch.setattr(source, "_hash_files", lambda root, stamp: pytest.fail("hashed again"))
    assert resolve_model(str(folder)).digest == first
    memo.write_text("[not a memo", encoding="utf-8")
    source._digest.cache_clear()
    monkeypatch.undo()
    monkeypatch.setattr(source, "DIGEST_MEMO", memo)
    assert resolve_model(str(folder)).digest == first  # hashed again, same answer


def test_onnx_batches_bound_padding_and_keep_every_text() -> None:
    from pipeline.embed.onnx_backend import batches

    lengths = [3, 250, 9, 9, 120, 10, 8, 200, 12, 11, 9, 100, 7, 9]
    out = batches(lengths, 4, 0.8)
    assert sorted(i for b in out for i in b) == list(range(len(lengths)))  # each text once
    assert all(1 <= len(b) <= 4 for b in out)
    # within a batch the shortest has >= 0.8 of the longest's pieces, so padding < 20%
    assert all(min(lengths[i] for i in b) >= 0.8 * max(lengths[i] for i in b) for b in out)
    assert [lengths[b[0]] for b in out] == sorted((lengths[b[0]] for b in out), reverse=True)
    # spread 0: fixed batches in length order, as before
    assert [len(b) for b in batches(lengths, 4, 0.0)] == [4, 4, 4, 2]


def test_bf16_refuses_a_cpu_without_native_bfloat16(model_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    import torch

    for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        monkeypatch.setattr(torch.cpu, name, lambda: False, raising=False)
    with pytest.raises(ModelError, match="native bfloat16.*'onnx'"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="torch-bf16"))


def test_bf16_refuses_pooling_it_does_not_reproduce(model_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    import pipeline.embed.bf16_backend as bf16_backend

    monkeypatch.setattr(bf16_backend, "native_bf16", lambda: True)
    _write_modules(model_folder, {"pooling_mode_cls_token": True})
    with pytest.raises(ModelError, match="torch-bf16 backends do mean pooling only"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="torch-bf16"))


@pytest.mark.integration
def test_bf16_stays_close_to_torch_under_its_own_identity(torch_embedder: Embedder) -> None:
    from pipeline.embed.bf16_backend import native_bf16

    if not native_bf16():  # a CPU without it: the real model is refused, not run slowly
        with pytest.raises(ModelError, match="native bfloat16"):
            load_embedder(EmbedSettings(backend="torch-bf16", threads=2))
        return
    _close_to_torch_but_its_own(load_embedder(EmbedSettings(backend="torch-bf16", threads=2)), torch_embedder,
                                "torch-bf16")


def _close_to_torch_but_its_own(embedder: Embedder, torch_embedder: Embedder, backend: str) -> None:
    """An approximate backend: unit float32 vectors within 0.001 of torch's, not the same, its own identity."""
    texts = [*SIMILAR, UNRELATED, "ok", "word " * 400, ""]
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    cosines = (vectors * torch_embedder.embed(texts)).sum(axis=1)
    assert 0.999 < cosines.min() and cosines.min() < 0.999999  # close, but not the same vectors
    assert embedder.identity.endswith(f":{backend}") and embedder.identity != torch_embedder.identity


def test_openvino_bf16_refuses_a_cpu_without_native_bfloat16(model_folder: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.embed.openvino_backend as openvino_backend

    monkeypatch.setattr(openvino_backend, "openvino_bf16", lambda core=None: False)
    with pytest.raises(ModelError, match="native bfloat16.*'onnx'"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="openvino-bf16"))


def test_openvino_bf16_refuses_pooling_it_does_not_reproduce(model_folder: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.embed.openvino_backend as openvino_backend

    monkeypatch.setattr(openvino_backend, "openvino_bf16", lambda core=None: True)
    _write_modules(model_folder, {"pooling_mode_cls_token": True})
    with pytest.raises(ModelError, match="openvino-bf16 backends do mean pooling only"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="openvino-bf16"))


def test_openvino_bf16_needs_openvino(model_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now raises ImportError
    with pytest.raises(ModelError, match="pip install openvino"):
        load_embedder(EmbedSettings(model=str(model_folder), backend="openvino-bf16"))


@pytest.mark.integration
def test_openvino_bf16_stays_close_to_torch_under_its_own_identity(torch_embedder: Embedder, onnx_cache: Path) -> None:
    from pipeline.embed.openvino_backend import openvino_bf16

    settings = EmbedSettings(backend="openvino-bf16", threads=2, cache_dir=onnx_cache)
    if not openvino_bf16():  # a CPU without it: refused, never float32 under this name
        with pytest.raises(ModelError, match="native bfloat16"):
            load_embedder(settings)
        return
    _close_to_torch_but_its_own(load_embedder(settings), torch_embedder, "openvino-bf16")
    # its check against sentence-transformers is its own, beside the onnxruntime one of the same export
    export = onnx_model_file(resolve_model(DEFAULT_MODEL), onnx_cache, int8=False)
    assert export.with_name(f"check.{export.stem}.openvino-bf16.json").is_file()
