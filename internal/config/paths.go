// Package config resolves wealthalloc's directories, reads and validates the
// YAML config file, and stores secrets (environment → OS keyring → 0600 file).
//
// It holds no package-level state: internal/cli builds one Paths, one Config
// and one Secrets per process and passes them down. Precedence for settings
// that also exist as flags is flag > environment > config file > default and
// is applied by internal/cli; this package only supplies the pieces.
package config

import (
	"errors"
	"path/filepath"
	"runtime"
)

// Environment variables read by this package or reserved for internal/cli.
const (
	EnvConfigDir = "WEALTHALLOC_CONFIG_DIR"
	EnvDataDir   = "WEALTHALLOC_DATA_DIR"
	EnvStateDir  = "WEALTHALLOC_STATE_DIR"
	EnvCacheDir  = "WEALTHALLOC_CACHE_DIR"

	// EnvConfig names the config file (the --config flag's environment form).
	EnvConfig = "WEALTHALLOC_CONFIG"
	// EnvDB holds the database DSN (the --db flag's environment form).
	EnvDB = "WEALTHALLOC_DB"
)

// appName is the directory name used under every base directory.
const appName = "wealthalloc"

// Paths holds the four per-user directories wealthalloc uses. The
// directories are not created by ResolvePaths.
type Paths struct {
	ConfigDir string // config.yaml, secrets.json
	DataDir   string // wealthalloc.db, demo.db
	StateDir  string // logs and other state that is not worth backing up
	CacheDir  string // downloaded data that can be rebuilt
}

// ResolvePaths resolves the directories from the environment, read through
// getenv (os.Getenv in production, a map lookup in tests). Each directory is
// taken from the first of:
//
//  1. WEALTHALLOC_CONFIG_DIR, WEALTHALLOC_DATA_DIR, WEALTHALLOC_STATE_DIR,
//     WEALTHALLOC_CACHE_DIR (used as given);
//  2. $XDG_CONFIG_HOME, $XDG_DATA_HOME, $XDG_STATE_HOME, $XDG_CACHE_HOME
//     followed by /wealthalloc, on every OS; relative XDG values are ignored,
//     as the XDG Base Directory specification requires;
//  3. the OS default.
//
// OS defaults, decided once: on Linux, macOS and other Unix systems the XDG
// defaults ~/.config, ~/.local/share, ~/.local/state and ~/.cache (as gh
// does; not ~/Library/Application Support on macOS), each followed by
// /wealthalloc. On Windows the config directory is %AppData%\wealthalloc and
// the data directory %LocalAppData%\wealthalloc, with state and cache in its
// "state" and "cache" subdirectories; when AppData or LocalAppData is unset
// they default to %USERPROFILE%\AppData\Roaming and \Local.
//
// The home directory is $HOME ($USERPROFILE on Windows). ResolvePaths
// returns an error only when an OS default is needed and no home directory
// can be found.
func ResolvePaths(getenv func(string) string) (Paths, error) {
	return resolvePaths(runtime.GOOS, getenv)
}

func resolvePaths(goos string, getenv func(string) string) (Paths, error) {
	var (
		p    Paths
		errs []error
	)
	pick := func(dst *string, appVar, xdgVar string, osDefault func() (string, error)) {
		if v := getenv(appVar); v != "" {
			*dst = filepath.Clean(v)
			return
		}
		if v := getenv(xdgVar); v != "" && filepath.IsAbs(v) {
			*dst = filepath.Join(v, appName)
			return
		}
		d, err := osDefault()
		if err != nil {
			errs = append(errs, err)
			return
		}
		*dst = d
	}

	home := func() (string, error) {
		name := "HOME"
		if goos == "windows" {
			name = "USERPROFILE"
		}
		if h := getenv(name); h != "" {
			return h, nil
		}
		return "", errors.New("cannot find the home directory: $" + name + " is not set")
	}
	// under returns an OS default: base (if set) or home joined with rel,
	// followed by the extra path elements.
	under := func(baseVar string, rel string, extra ...string) func() (string, error) {
		return func() (string, error) {
			base := ""
			if baseVar != "" {
				base = getenv(baseVar)
			}
			if base == "" {
				h, err := home()
				if err != nil {
					return "", err
				}
				base = filepath.Join(h, rel)
			}
			return filepath.Join(append([]string{base, appName}, extra...)...), nil
		}
	}

	if goos == "windows" {
		roaming := filepath.Join("AppData", "Roaming")
		local := filepath.Join("AppData", "Local")
		pick(&p.ConfigDir, EnvConfigDir, "XDG_CONFIG_HOME", under("AppData", roaming))
		pick(&p.DataDir, EnvDataDir, "XDG_DATA_HOME", under("LocalAppData", local))
		pick(&p.StateDir, EnvStateDir, "XDG_STATE_HOME", under("LocalAppData", local, "state"))
		pick(&p.CacheDir, EnvCacheDir, "XDG_CACHE_HOME", under("LocalAppData", local, "cache"))
	} else {
		pick(&p.ConfigDir, EnvConfigDir, "XDG_CONFIG_HOME", under("", ".config"))
		pick(&p.DataDir, EnvDataDir, "XDG_DATA_HOME", under("", filepath.Join(".local", "share")))
		pick(&p.StateDir, EnvStateDir, "XDG_STATE_HOME", under("", filepath.Join(".local", "state")))
		pick(&p.CacheDir, EnvCacheDir, "XDG_CACHE_HOME", under("", ".cache"))
	}
	if len(errs) > 0 {
		// Every failure has the same cause (no home directory); report it once.
		return Paths{}, errs[0]
	}
	return p, nil
}

// ConfigFile is the default config file, ConfigDir/config.yaml.
func (p Paths) ConfigFile() string { return filepath.Join(p.ConfigDir, "config.yaml") }

// SecretsFile is the fallback secrets file, ConfigDir/secrets.json, used only
// when the OS keyring is unavailable.
func (p Paths) SecretsFile() string { return filepath.Join(p.ConfigDir, "secrets.json") }

// DefaultDB is the default SQLite database, DataDir/wealthalloc.db.
func (p Paths) DefaultDB() string { return filepath.Join(p.DataDir, "wealthalloc.db") }

// DemoDB is the database built by `wealthalloc demo`, DataDir/demo.db.
func (p Paths) DemoDB() string { return filepath.Join(p.DataDir, "demo.db") }
