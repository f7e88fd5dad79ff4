"""Multivariate detectors over a frame of shape (points, columns): Isolation Forest
(scikit-learn) and PCA T-squared + Q (squared prediction error) for asset groups.

Each has `fit_*` (training window → state with sklearn objects and empirical control limits) and a
scorer; without a trained state the scorer fits on the data it is given (unsupervised)."""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import StandardScaler

from .common import MethodError, Scored, param_float, reasons_from_codes, squash

_TINY = 1e-9


def _check_frame(rows: np.ndarray, minimum_points: int) -> None:
    if rows.ndim != 2 or rows.shape[0] < minimum_points:
        raise MethodError(f"need at least {minimum_points} points, got {rows.shape[0] if rows.ndim == 2 else 0}")


def fit_isolation_forest(train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    """Fit a scaled Isolation Forest; the limit is the `quantile` (default 0.99) of training
    anomaly scores times `margin` (default 1.0)."""
    _check_frame(train, 8)
    scaler = StandardScaler().fit(train)
    forest = IsolationForest(n_estimators=int(param_float(params, "n_estimators", 100)),
                             random_state=int(param_float(params, "random_state", 0)))
    forest.fit(scaler.transform(train))
    anomaly = -forest.score_samples(scaler.transform(train))
    limit = float(np.quantile(anomaly, param_float(params, "quantile", 0.99))) * param_float(params, "margin", 1.0)
    spread = max(float(np.std(anomaly)), 1e-3)
    return {"scaler": scaler, "forest": forest, "limit": limit, "spread": spread}


def isolation_forest(rows: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Score rows with a trained forest, or fit on the rows themselves (`contamination`-quantile
    limit, default 0.01)."""
    if state is None:
        contamination = param_float(params, "contamination", 0.01)
        state = fit_isolation_forest(rows, {**params, "quantile": 1.0 - contamination})
    anomaly = -state["forest"].score_samples(state["scaler"].transform(rows))
    offset = (anomaly - state["limit"]) / state["spread"]
    scores = 1.0 / (1.0 + np.exp(-4.0 * offset))
    flags = anomaly > state["limit"]
    reasons = reasons_from_codes(flags.astype(np.int8), [None, "isolation forest: isolated unusually fast"])
    return Scored(scores, flags, reasons)


def _pca_statistics(state: dict[str, Any], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scaled = state["scaler"].transform(rows)
    pca: PCA = state["pca"]
    projected = pca.transform(scaled)
    t_squared = np.sum(projected ** 2 / np.maximum(pca.explained_variance_, _TINY), axis=1)
    residual = scaled - pca.inverse_transform(projected)
    q_statistic = np.sum(residual ** 2, axis=1)
    return t_squared, q_statistic


def fit_pca_t2q(train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    """Standardise, keep components explaining `variance` (default 0.9) of the variance, and set
    T² and Q limits at the `quantile` (default 0.99) of the training statistics times `margin`.
    With `calibration_rows` = c > 0, the scaler and PCA are fitted on all but the last c training
    rows and the limits are taken on those c held-out rows, which sees how the statistics grow on
    data the model was not fitted on (limits from the fit rows themselves are too tight)."""
    calibration_rows = int(param_float(params, "calibration_rows", 0))
    if calibration_rows < 0 or calibration_rows > train.shape[0] - 4:
        raise MethodError(f"params.calibration_rows must be between 0 and {max(train.shape[0] - 4, 0)}")
    fit_rows = train[: train.shape[0] - calibration_rows]
    _check_frame(fit_rows, 4)
    if train.shape[1] < 2:
        raise MethodError("pca_t2q needs a frame with at least 2 columns")
    scaler = StandardScaler().fit(fit_rows)
    variance = param_float(params, "variance", 0.9)
    pca = PCA(n_components=variance if 0 < variance < 1 else None, svd_solver="full").fit(scaler.transform(fit_rows))
    state: dict[str, Any] = {"scaler": scaler, "pca": pca}
    t_squared, q_statistic = _pca_statistics(state, train[train.shape[0] - calibration_rows:] if calibration_rows
                                             else fit_rows)
    quantile, margin = param_float(params, "quantile", 0.99), param_float(params, "margin", 1.0)
    state["t2_limit"] = max(float(np.quantile(t_squared, quantile)) * margin, _TINY)
    state["q_limit"] = max(float(np.quantile(q_statistic, quantile)) * margin, _TINY)
    return state


def pca_t2q(rows: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Hotelling T² in the principal subspace and Q (SPE) in the residual subspace; a point is
    flagged when either exceeds its limit (`statistics`: "both", default, "t2" or "q" only). Without a model, fits on the rows themselves."""
    if state is None:
        state = fit_pca_t2q(rows, params)
    t_squared, q_statistic = _pca_statistics(state, rows)
    t_ratio, q_ratio = t_squared / state["t2_limit"], q_statistic / state["q_limit"]
    statistics = params.get("statistics", "both")
    if statistics not in ("both", "t2", "q"):
        raise MethodError(f"params.statistics must be 'both', 't2' or 'q', got {statistics!r}")
    if statistics != "both":
        t_ratio, q_ratio = (t_ratio, np.zeros_like(q_ratio)) if statistics == "t2" else (np.zeros_like(t_ratio), q_ratio)
    ratio = np.maximum(t_ratio, q_ratio)
    flags = ratio > 1.0
    codes = np.where(flags, np.where(t_ratio >= q_ratio, 1, 2), 0)
    reasons = reasons_from_codes(codes, [None, "PCA T-squared above limit", "PCA Q (SPE) above limit"])
    return Scored(squash(ratio, 1.0), flags, reasons)
