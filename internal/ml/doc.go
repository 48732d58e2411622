// Package ml detects anomalies in daily price series and maps how holdings
// move together, with an LSTM encoder–decoder autoencoder written on gonum
// from the equations in the design's ml.md §2 (no ML library).
//
// Pieces, bottom up:
//   - lstm.go: the autoencoder's forward pass and backpropagation through
//     time over a batch; model.go: initialisation, Adam with gradient-norm
//     clipping, early stopping on a chronological validation split, training
//     several series in parallel (TrainMany).
//   - features.go: per-day features from prices (log return, absolute return,
//     today's move over trailing volatility, residual against a benchmark,
//     volume z-score, volatility ratio; seasonal differences for series with
//     a cycle), standardised with training statistics only.
//   - score.go: per-window reconstruction error of the newest steps → a
//     score per day, thresholds fitted on held-out normal data.
//   - detect.go: Fit and Detect run the model with the baselines beside it
//     (rolling z-score, volatility ratio, isolation forest); Evaluate applies
//     the scoring rule of `wealthalloc model eval`.
//   - inject.go: a seeded anomaly injector for real price series.
//   - network.go: the holdings network (multivariate autoencoder, similarity
//     from encoder input weights, correlation, entropy, clustering,
//     communities per rolling year).
//   - artifact.go: versioned serialisation of a fitted detector.
//
// The package does no I/O: callers pass data and persist artifacts.
package ml
