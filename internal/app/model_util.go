package app

import (
	"encoding/json"
	"runtime"
)

func runtimeCores() int { return runtime.GOMAXPROCS(0) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// benchmarkOf reads the benchmark recorded in a model's params JSON.
func benchmarkOf(params string) string {
	var p struct {
		Benchmark string `json:"benchmark"`
	}
	_ = json.Unmarshal([]byte(params), &p)
	return p.Benchmark
}
