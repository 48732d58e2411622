package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zalando/go-keyring"
)

// memKeyring is an in-memory keyring.
type memKeyring struct {
	mu    sync.Mutex
	m     map[string]string
	calls int
}

func newMemKeyring(kv ...string) *memKeyring {
	k := &memKeyring{m: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		k.m[KeyringService+"/"+kv[i]] = kv[i+1]
	}
	return k
}

func (k *memKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	v, ok := k.m[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(service, user, password string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	k.m[service+"/"+user] = password
	return nil
}

func (k *memKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if _, ok := k.m[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.m, service+"/"+user)
	return nil
}

func (k *memKeyring) get(name string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[KeyringService+"/"+name]
	return v, ok
}

// errKeyring fails every call, like go-keyring without a D-Bus session.
type errKeyring struct {
	mu    sync.Mutex
	calls int
}

var errNoDBus = errors.New(`exec: "dbus-launch": executable file not found in $PATH`)

func (k *errKeyring) call() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	return errNoDBus
}

func (k *errKeyring) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

func (k *errKeyring) Get(string, string) (string, error) { return "", k.call() }
func (k *errKeyring) Set(string, string, string) error   { return k.call() }
func (k *errKeyring) Delete(string, string) error        { return k.call() }

// blockKeyring never answers until the test ends, like a keyring waiting
// on a prompt nobody sees.
type blockKeyring struct {
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func newBlockKeyring(t *testing.T) *blockKeyring {
	k := &blockKeyring{release: make(chan struct{})}
	t.Cleanup(func() { close(k.release) })
	return k
}

func (k *blockKeyring) block() error {
	k.mu.Lock()
	k.calls++
	k.mu.Unlock()
	<-k.release
	return errors.New("released")
}

func (k *blockKeyring) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

func (k *blockKeyring) Get(string, string) (string, error) { return "", k.block() }
func (k *blockKeyring) Set(string, string, string) error   { return k.block() }
func (k *blockKeyring) Delete(string, string) error        { return k.block() }

// writeSecrets writes a secrets file with the given mode.
func writeSecrets(t *testing.T, path string, m map[string]string, mode os.FileMode) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // not subject to umask
		t.Fatal(err)
	}
}

func readSecrets(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSecretEnvVar(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"token", "WEALTHALLOC_TOKEN"},
		{"ib-password", "WEALTHALLOC_IB_PASSWORD"},
		{"jwt.key", "WEALTHALLOC_JWT_KEY"},
		{"A_b-c.D", "WEALTHALLOC_A_B_C_D"},
	} {
		if got := SecretEnvVar(tt.name); got != tt.want {
			t.Errorf("SecretEnvVar(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSecretsGet(t *testing.T) {
	dir := t.TempDir()
	fromFile := filepath.Join(dir, "value.txt")
	if err := os.WriteFile(fromFile, []byte("  from-env-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		env        map[string]string
		keyring    map[string]string // nil: no keyring
		file       map[string]string // nil: no file
		wantValue  string
		wantSource string
		wantErr    error
	}{
		{
			name:       "env beats everything",
			env:        map[string]string{"WEALTHALLOC_IB_PASSWORD": "env", "WEALTHALLOC_IB_PASSWORD_FILE": fromFile},
			keyring:    map[string]string{"ib-password": "kr"},
			file:       map[string]string{"ib-password": "file"},
			wantValue:  "env",
			wantSource: SourceEnv,
		},
		{
			name:       "_FILE beats keyring, contents trimmed",
			env:        map[string]string{"WEALTHALLOC_IB_PASSWORD_FILE": fromFile},
			keyring:    map[string]string{"ib-password": "kr"},
			wantValue:  "from-env-file",
			wantSource: SourceEnv,
		},
		{
			name:       "keyring beats file",
			keyring:    map[string]string{"ib-password": "kr"},
			file:       map[string]string{"ib-password": "file"},
			wantValue:  "kr",
			wantSource: SourceKeyring,
		},
		{
			name:       "file when keyring lacks it",
			keyring:    map[string]string{"other": "x"},
			file:       map[string]string{"ib-password": "file"},
			wantValue:  "file",
			wantSource: SourceFile,
		},
		{
			name:       "file when keyring disabled",
			file:       map[string]string{"ib-password": "file"},
			wantValue:  "file",
			wantSource: SourceFile,
		},
		{
			name:    "nowhere",
			env:     map[string]string{"WEALTHALLOC_OTHER": "x"},
			keyring: map[string]string{"other": "x"},
			file:    map[string]string{"other": "x"},
			wantErr: ErrSecretNotFound,
		},
		{
			name:    "nowhere, no keyring, no file",
			wantErr: ErrSecretNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := SecretsOptions{Getenv: envFunc(tt.env)}
			if tt.keyring != nil {
				kr := newMemKeyring()
				for k, v := range tt.keyring {
					kr.m[KeyringService+"/"+k] = v
				}
				opts.Keyring = kr
			}
			if tt.file != nil {
				opts.File = filepath.Join(t.TempDir(), "secrets.json")
				writeSecrets(t, opts.File, tt.file, 0o600)
			}
			s := NewSecrets(opts)
			v, src, err := s.Get(t.Context(), "ib-password")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Get() error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get() error = %v", err)
			}
			if v != tt.wantValue || src != tt.wantSource {
				t.Errorf("Get() = %q, %q; want %q, %q", v, src, tt.wantValue, tt.wantSource)
			}
		})
	}
}

func TestSecretsGetNotFoundMessage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.json")
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: newMemKeyring(), File: file})
	_, _, err := s.Get(t.Context(), "ib-password")
	for _, w := range []string{`"ib-password"`, "$WEALTHALLOC_IB_PASSWORD,", "$WEALTHALLOC_IB_PASSWORD_FILE", "OS keyring", file} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Get() error = %v, want it to mention %q", err, w)
		}
	}
}

func TestSecretsEnvFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope"), "WEALTHALLOC_TOKEN_FILE"},
		{"empty file", empty, "is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kr := newMemKeyring("token", "kr")
			s := NewSecrets(SecretsOptions{Getenv: envFunc(map[string]string{"WEALTHALLOC_TOKEN_FILE": tt.path}), Keyring: kr})
			_, _, err := s.Get(t.Context(), "token")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Get() error = %v, want it to contain %q", err, tt.want)
			}
			if kr.calls != 0 {
				t.Errorf("keyring consulted %d times after a broken _FILE, want 0", kr.calls)
			}
		})
	}
}

func TestSecretsEnvFromProcess(t *testing.T) {
	t.Setenv("WEALTHALLOC_API_TOKEN", "from-process")
	s := NewSecrets(SecretsOptions{}) // os.Getenv, no keyring, no file
	v, src, err := s.Get(t.Context(), "api-token")
	if err != nil || v != "from-process" || src != SourceEnv {
		t.Fatalf("Get() = %q, %q, %v; want from-process, env, nil", v, src, err)
	}
}

func TestSecretsKeyringUnavailable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cfg", "secrets.json")
	kr := &errKeyring{}
	var warn bytes.Buffer
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: kr, File: file, Warn: &warn})

	if s.KeyringUnavailable() != nil {
		t.Fatalf("KeyringUnavailable() before any call = %v, want nil", s.KeyringUnavailable())
	}
	for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}} {
		src, err := s.Set(t.Context(), kv[0], kv[1])
		if err != nil || src != SourceFile {
			t.Fatalf("Set(%s) = %q, %v; want file, nil", kv[0], src, err)
		}
	}
	if got := kr.count(); got != 1 {
		t.Errorf("keyring called %d times, want 1 (unavailability is remembered)", got)
	}
	if err := s.KeyringUnavailable(); !errors.Is(err, errNoDBus) {
		t.Errorf("KeyringUnavailable() = %v, want %v", err, errNoDBus)
	}

	wantWarn := fmt.Sprintf("warning: OS keyring unavailable (%v); storing secret in %s (mode 0600)\n", errNoDBus, file)
	if diff := cmp.Diff(wantWarn, warn.String()); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"a": "3", "b": "2"}, readSecrets(t, file)); diff != "" {
		t.Errorf("secrets file mismatch (-want +got):\n%s", diff)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, file, 0o600)
		assertMode(t, filepath.Dir(file), 0o700)
	}
	entries, err := os.ReadDir(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only secrets.json (no temporary files left)", len(entries))
	}

	v, src, err := s.Get(t.Context(), "a")
	if err != nil || v != "3" || src != SourceFile {
		t.Errorf("Get(a) = %q, %q, %v; want 3, file, nil", v, src, err)
	}

	// A new Secrets (a new process) tries the keyring again and warns again.
	warn.Reset()
	s2 := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: kr, File: file, Warn: &warn})
	if _, err := s2.Set(t.Context(), "c", "4"); err != nil {
		t.Fatal(err)
	}
	if got := kr.count(); got != 2 {
		t.Errorf("keyring called %d times in total, want 2", got)
	}
	if got := strings.Count(warn.String(), "warning:"); got != 1 {
		t.Errorf("new Secrets printed %d warnings, want 1", got)
	}
}

func TestSecretsKeyringTimeout(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.json")
	writeSecrets(t, file, map[string]string{"token": "file-value"}, 0o600)
	kr := newBlockKeyring(t)
	var warn bytes.Buffer
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: kr, File: file, Timeout: 20 * time.Millisecond, Warn: &warn})

	v, src, err := s.Get(t.Context(), "token")
	if err != nil || v != "file-value" || src != SourceFile {
		t.Fatalf("Get() = %q, %q, %v; want file-value, file, nil", v, src, err)
	}
	if err := s.KeyringUnavailable(); err == nil || !strings.Contains(err.Error(), "no answer within 20ms") {
		t.Errorf("KeyringUnavailable() = %v, want a timeout", err)
	}

	// Later calls skip the keyring instead of waiting again.
	if src, err := s.Set(t.Context(), "other", "x"); err != nil || src != SourceFile {
		t.Fatalf("Set() = %q, %v; want file, nil", src, err)
	}
	if _, _, err := s.Get(t.Context(), "missing"); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("Get(missing) error = %v, want ErrSecretNotFound", err)
	}
	if got := kr.count(); got != 1 {
		t.Errorf("keyring called %d times, want 1", got)
	}
	if !strings.Contains(warn.String(), "no answer within 20ms") {
		t.Errorf("warning = %q, want it to give the timeout as the reason", warn.String())
	}
}

func TestSecretsContextCancelled(t *testing.T) {
	kr := newBlockKeyring(t)
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: kr, Timeout: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for kr.count() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, _, err := s.Get(ctx, "token"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get() error = %v, want context.Canceled", err)
	}
	if err := s.KeyringUnavailable(); err != nil {
		t.Errorf("KeyringUnavailable() = %v after a cancellation, want nil", err)
	}
	// Already cancelled: no keyring call at all.
	if _, err := s.Set(ctx, "token", "v"); !errors.Is(err, context.Canceled) {
		t.Errorf("Set() error = %v, want context.Canceled", err)
	}
	if got := kr.count(); got != 1 {
		t.Errorf("keyring called %d times, want 1", got)
	}
}

func TestSecretsBroadFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions on Windows")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "secrets.json")
			writeSecrets(t, file, map[string]string{"token": "v"}, mode)
			s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: &errKeyring{}, File: file})

			want := "chmod 600 " + file
			if _, _, err := s.Get(t.Context(), "token"); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Get() error = %v, want it to contain %q", err, want)
			}
			if _, err := s.Set(t.Context(), "token", "new"); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Set() error = %v, want it to contain %q", err, want)
			}
			if got := readSecrets(t, file)["token"]; got != "v" {
				t.Errorf("file changed to %q despite its mode", got)
			}
		})
	}
	t.Run("0400 is fine", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "secrets.json")
		writeSecrets(t, file, map[string]string{"token": "v"}, 0o400)
		s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), File: file})
		if v, _, err := s.Get(t.Context(), "token"); err != nil || v != "v" {
			t.Errorf("Get() = %q, %v; want v, nil", v, err)
		}
	})
}

func TestSecretsBadFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(file, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), File: file})
	if _, _, err := s.Get(t.Context(), "token"); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Get() error = %v, want one naming %s", err, file)
	}
}

func TestSecretsSetKeyring(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.json")
	// A copy stored by an earlier process while the keyring was unavailable.
	writeSecrets(t, file, map[string]string{"token": "old", "keep": "k"}, 0o600)
	kr := newMemKeyring()
	var warn bytes.Buffer
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: kr, File: file, Warn: &warn})

	src, err := s.Set(t.Context(), "token", "new")
	if err != nil || src != SourceKeyring {
		t.Fatalf("Set() = %q, %v; want keyring, nil", src, err)
	}
	if v, _ := kr.get("token"); v != "new" {
		t.Errorf("keyring holds %q, want new", v)
	}
	if diff := cmp.Diff(map[string]string{"keep": "k"}, readSecrets(t, file)); diff != "" {
		t.Errorf("stale copy not removed from the file (-want +got):\n%s", diff)
	}
	if warn.Len() != 0 {
		t.Errorf("unexpected warning %q", warn.String())
	}

	// With no file at all, nothing is created.
	file2 := filepath.Join(t.TempDir(), "secrets.json")
	s2 := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: kr, File: file2})
	if _, err := s2.Set(t.Context(), "x", "y"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s) error = %v, want not exist", file2, err)
	}
}

func TestSecretsSetErrors(t *testing.T) {
	t.Run("unavailable and no file", func(t *testing.T) {
		s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: &errKeyring{}})
		if _, err := s.Set(t.Context(), "token", "v"); !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("Set() error = %v, want ErrKeyringUnavailable", err)
		}
	})
	t.Run("keyring disabled: file without warning", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "secrets.json")
		var warn bytes.Buffer
		s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), File: file, Warn: &warn})
		if src, err := s.Set(t.Context(), "token", "v"); err != nil || src != SourceFile {
			t.Fatalf("Set() = %q, %v; want file, nil", src, err)
		}
		if warn.Len() != 0 {
			t.Errorf("unexpected warning %q", warn.String())
		}
	})
	for _, tt := range []struct{ name, secret, value, want string }{
		{"empty name", "", "v", "invalid secret name"},
		{"slash in name", "a/b", "v", "invalid secret name"},
		{"leading dash", "-x", "v", "invalid secret name"},
		{"empty value", "token", "", "empty value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kr := newMemKeyring()
			s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: kr})
			if _, err := s.Set(t.Context(), tt.secret, tt.value); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Set() error = %v, want %q", err, tt.want)
			}
			if kr.calls != 0 {
				t.Errorf("keyring called %d times, want 0", kr.calls)
			}
		})
	}
}

func TestSecretsDelete(t *testing.T) {
	tests := []struct {
		name     string
		keyring  map[string]string
		file     map[string]string // nil: no file
		env      map[string]string
		wantErr  string // "" for success
		wantFile bool   // the file still exists afterwards
	}{
		{name: "from keyring", keyring: map[string]string{"token": "k"}},
		{name: "from both", keyring: map[string]string{"token": "k"}, file: map[string]string{"token": "f"}},
		{name: "last secret in file removes the file", file: map[string]string{"token": "f"}},
		{name: "file keeps others", file: map[string]string{"token": "f", "other": "o"}, wantFile: true},
		{name: "nowhere", file: map[string]string{"other": "o"}, wantErr: "secret not found", wantFile: true},
		{name: "only in env", env: map[string]string{"WEALTHALLOC_TOKEN": "e"}, wantErr: "$WEALTHALLOC_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := newMemKeyring()
			for k, v := range tt.keyring {
				kr.m[KeyringService+"/"+k] = v
			}
			file := filepath.Join(t.TempDir(), "secrets.json")
			if tt.file != nil {
				writeSecrets(t, file, tt.file, 0o600)
			}
			s := NewSecrets(SecretsOptions{Getenv: envFunc(tt.env), Keyring: kr, File: file})
			err := s.Delete(t.Context(), "token")
			if tt.wantErr != "" {
				if !errors.Is(err, ErrSecretNotFound) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Delete() error = %v, want ErrSecretNotFound containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Delete() error = %v", err)
			}
			if _, ok := kr.get("token"); ok {
				t.Error("secret still in keyring")
			}
			_, statErr := os.Stat(file)
			if exists := statErr == nil; exists != tt.wantFile {
				t.Fatalf("file exists = %v, want %v", exists, tt.wantFile)
			}
			if tt.wantFile {
				if _, ok := readSecrets(t, file)["token"]; ok {
					t.Error("secret still in file")
				}
			}
		})
	}
}

func TestSecretsConcurrentFileWrites(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.json")
	var warn bytes.Buffer
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: &errKeyring{}, File: file, Warn: &warn})
	var wg sync.WaitGroup
	want := map[string]string{}
	for i := range 20 {
		name, value := fmt.Sprintf("s%d", i), fmt.Sprintf("v%d", i)
		want[name] = value
		wg.Go(func() {
			if _, err := s.Set(t.Context(), name, value); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff(want, readSecrets(t, file)); diff != "" {
		t.Errorf("secrets file mismatch (-want +got):\n%s", diff)
	}
	if got := strings.Count(warn.String(), "warning:"); got != 1 {
		t.Errorf("%d warnings, want 1", got)
	}
}

// TestOSKeyringMock runs OSKeyring against go-keyring's in-memory provider.
// It changes go-keyring's global provider, so it must not run in parallel.
func TestOSKeyringMock(t *testing.T) {
	keyring.MockInit()
	file := filepath.Join(t.TempDir(), "secrets.json")
	s := NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: OSKeyring(), File: file})
	ctx := t.Context()

	if _, _, err := s.Get(ctx, "token"); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("Get() before Set error = %v, want ErrSecretNotFound", err)
	}
	if src, err := s.Set(ctx, "token", "secret"); err != nil || src != SourceKeyring {
		t.Fatalf("Set() = %q, %v; want keyring, nil", src, err)
	}
	if v, err := keyring.Get(KeyringService, "token"); err != nil || v != "secret" {
		t.Errorf("keyring.Get() = %q, %v; want secret, nil", v, err)
	}
	if v, src, err := s.Get(ctx, "token"); err != nil || v != "secret" || src != SourceKeyring {
		t.Errorf("Get() = %q, %q, %v; want secret, keyring, nil", v, src, err)
	}
	if err := s.Delete(ctx, "token"); err != nil {
		t.Errorf("Delete() error = %v", err)
	}
	if _, _, err := s.Get(ctx, "token"); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("Get() after Delete error = %v, want ErrSecretNotFound", err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secrets file was created: %v", err)
	}

	// A failing keyring falls back to the file.
	keyring.MockInitWithError(errNoDBus)
	var warn bytes.Buffer
	s = NewSecrets(SecretsOptions{Getenv: envFunc(nil), Keyring: OSKeyring(), File: file, Warn: &warn})
	if src, err := s.Set(ctx, "token", "secret"); err != nil || src != SourceFile {
		t.Fatalf("Set() with failing keyring = %q, %v; want file, nil", src, err)
	}
	if !strings.Contains(warn.String(), "dbus-launch") {
		t.Errorf("warning = %q, want the keyring's error as the reason", warn.String())
	}
	if v, src, err := s.Get(ctx, "token"); err != nil || v != "secret" || src != SourceFile {
		t.Errorf("Get() = %q, %q, %v; want secret, file, nil", v, src, err)
	}
}
