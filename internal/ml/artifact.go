package ml

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Artifact format: gzip-compressed JSON, versioned. Weights are stored as
// little-endian float64 bytes (base64 in the JSON) so a save → load round
// trip is bit-exact.
const (
	ArtifactFormat  = "wealthalloc-lstm-ae"
	ArtifactVersion = 1
)

// ErrArtifactVersion means the artifact was written by an incompatible
// version of the format.
var ErrArtifactVersion = errors.New("unsupported model artifact version")

type envelope struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Detector *Detector `json:"detector"`
	Weights  string    `json:"weights"` // base64 of little-endian float64s
}

// Marshal encodes the detector (weights, normalisation statistics,
// thresholds, baselines, metadata) as a versioned artifact.
func (d *Detector) Marshal() ([]byte, error) {
	raw := make([]byte, 8*len(d.Model.Params))
	for i, v := range d.Model.Params {
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
	}
	env := envelope{Format: ArtifactFormat, Version: ArtifactVersion, Detector: d, Weights: base64.StdEncoding.EncodeToString(raw)}
	js, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes an artifact written by Marshal.
func Unmarshal(b []byte) (*Detector, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode model: not a model artifact: %w", err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	var env envelope
	if err := json.Unmarshal(js, &env); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if env.Format != ArtifactFormat {
		return nil, fmt.Errorf("decode model: format %q, want %q", env.Format, ArtifactFormat)
	}
	if env.Version != ArtifactVersion {
		return nil, fmt.Errorf("%w: %d (this build reads %d); retrain with \"wealthalloc model train\"", ErrArtifactVersion, env.Version, ArtifactVersion)
	}
	d := env.Detector
	if d == nil || d.Model == nil || d.Forest == nil {
		return nil, errors.New("decode model: artifact has no model")
	}
	raw, err := base64.StdEncoding.DecodeString(env.Weights)
	if err != nil {
		return nil, fmt.Errorf("decode model weights: %w", err)
	}
	want := newLayout(len(d.Model.Norm.Mean), d.Model.Config.Hidden).size
	if len(raw) != 8*want {
		return nil, fmt.Errorf("decode model: %d weight bytes, want %d", len(raw), 8*want)
	}
	d.Model.Params = make([]float64, want)
	for i := range d.Model.Params {
		d.Model.Params[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return d, nil
}
