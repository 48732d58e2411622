package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

func TestModelArtifactsSQLite(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.LatestModelArtifact(ctx, "lstm-ae/AAPL"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing model: %v, want ErrNotFound", err)
	}
	w1, w2 := []byte{1, 2, 3}, bytes.Repeat([]byte{9}, 1000)
	a1, err := s.SaveModelArtifact(ctx, ModelArtifact{Name: "lstm-ae/AAPL", Format: "f/1", Params: `{"window":30}`, Weights: w1})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.SaveModelArtifact(ctx, ModelArtifact{Name: "lstm-ae/AAPL", Format: "f/1", Metrics: `{"f1":0.5}`, Weights: w2})
	if err != nil {
		t.Fatal(err)
	}
	if a1.Version != 1 || a2.Version != 2 {
		t.Fatalf("versions %d, %d", a1.Version, a2.Version)
	}
	got, err := s.LatestModelArtifact(ctx, "lstm-ae/AAPL")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || !bytes.Equal(got.Weights, w2) || got.Metrics != `{"f1":0.5}` || got.SizeBytes != 1000 {
		t.Errorf("latest = %+v", got)
	}
	list, err := s.ModelArtifacts(ctx, "lstm-ae/")
	if err != nil || len(list) != 1 || list[0].Version != 2 {
		t.Errorf("list = %+v, %v", list, err)
	}
}
