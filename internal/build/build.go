// Package build reports what binary this is. Releases set the variables with
// -ldflags "-X github.com/wealthalloc/wealthalloc/internal/build.Version=…";
// a `go install`ed or `go run` binary falls back to the module build info.
package build

import (
	"runtime/debug"
	"sync"
)

// Set by the linker in releases.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is the resolved build description.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Modified  bool   `json:"modified"`
}

var (
	once sync.Once
	info Info
)

// Get returns the build description, falling back to debug.ReadBuildInfo.
func Get() Info {
	once.Do(func() {
		info = Info{Version: Version, Commit: Commit, Date: Date}
		bi, ok := debug.ReadBuildInfo()
		if ok {
			info.GoVersion = bi.GoVersion
			if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				info.Version = bi.Main.Version
			}
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					if info.Commit == "" {
						info.Commit = s.Value
					}
				case "vcs.time":
					if info.Date == "" {
						info.Date = s.Value
					}
				case "vcs.modified":
					info.Modified = s.Value == "true"
				}
			}
		}
		if info.Version == "" {
			info.Version = "dev"
		}
	})
	return info
}
