package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultKeyringTimeout bounds each keyring call when
// SecretsOptions.Timeout is zero.
const DefaultKeyringTimeout = 3 * time.Second

// Where a secret came from or went to, as returned by Secrets.Get and
// Secrets.Set.
const (
	SourceEnv     = "env"
	SourceKeyring = "keyring"
	SourceFile    = "file"
)

var (
	// ErrSecretNotFound is returned (wrapped) by Get when the secret is in
	// none of the places it looks, and by Delete when there was nothing to
	// delete.
	ErrSecretNotFound = errors.New("secret not found")
	// ErrKeyringUnavailable is returned (wrapped) by Set when the keyring
	// cannot be used and no secrets file is configured.
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
)

// SecretsOptions configures NewSecrets. Every field is optional.
type SecretsOptions struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// File is the fallback JSON file (name → value), normally
	// Paths.SecretsFile(). Empty disables the file.
	File string
	// Keyring is normally OSKeyring(). Nil disables the keyring, so secrets
	// are stored in File without a warning (for an explicit
	// --insecure-storage choice).
	Keyring Keyring
	// Timeout bounds each keyring call; zero means DefaultKeyringTimeout.
	Timeout time.Duration
	// Warn receives the one-time warning printed when a secret is stored
	// in File because the keyring is unavailable; nil discards it.
	Warn io.Writer
}

// Secrets looks secrets up in the environment, the OS keyring and a 0600
// JSON file, in that order, and stores them in the keyring, or in the file
// when the keyring is unavailable.
//
// The first keyring failure other than "not found" (or a call that takes
// longer than the timeout) marks the keyring unavailable for the life of
// the Secrets value, and the fallback warning is printed at most once per
// value: internal/cli should build one Secrets per process. A Secrets is
// safe for concurrent use.
type Secrets struct {
	getenv  func(string) string
	file    string
	kr      Keyring
	timeout time.Duration
	warn    io.Writer

	mu     sync.Mutex
	krErr  error // why the keyring is unavailable; nil while usable
	warned bool

	fileMu sync.Mutex // serialises read-modify-write of file
}

// NewSecrets returns a Secrets configured by opts.
func NewSecrets(opts SecretsOptions) *Secrets {
	s := &Secrets{
		getenv:  opts.Getenv,
		file:    opts.File,
		kr:      opts.Keyring,
		timeout: opts.Timeout,
		warn:    opts.Warn,
	}
	if s.getenv == nil {
		s.getenv = os.Getenv
	}
	if s.timeout <= 0 {
		s.timeout = DefaultKeyringTimeout
	}
	if s.warn == nil {
		s.warn = io.Discard
	}
	if s.kr == nil {
		s.krErr = errors.New("keyring disabled")
		s.warned = true // the caller chose file storage: nothing to warn about
	}
	return s
}

// SecretEnvVar returns the environment variable holding the secret name:
// WEALTHALLOC_ followed by the name in upper case with '-' and '.' replaced
// by '_' ("ib-password" → "WEALTHALLOC_IB_PASSWORD"). The same name with a
// _FILE suffix may instead name a file holding the value.
func SecretEnvVar(name string) string {
	return "WEALTHALLOC_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name))
}

var reSecretName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func checkName(name string) error {
	if !reSecretName.MatchString(name) {
		return fmt.Errorf("invalid secret name %q: use letters, digits, '.', '-' and '_', starting with a letter or digit", name)
	}
	return nil
}

// KeyringUnavailable returns why the keyring is not being used, or nil
// while it is (as far as is known: the keyring is only tried on demand).
func (s *Secrets) KeyringUnavailable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.krErr
}

// Get returns the secret's value and where it came from (SourceEnv,
// SourceKeyring or SourceFile). It looks in:
//
//  1. $WEALTHALLOC_<NAME> (see SecretEnvVar), then the file named by
//     $WEALTHALLOC_<NAME>_FILE (its contents with surrounding white space
//     trimmed);
//  2. the OS keyring, service KeyringService, user name;
//  3. the secrets file, which it refuses to read if its permissions are
//     broader than 0600.
//
// It returns an error wrapping ErrSecretNotFound if the secret is nowhere,
// and ctx.Err() if ctx ends while waiting for the keyring.
func (s *Secrets) Get(ctx context.Context, name string) (value, source string, err error) {
	if err := checkName(name); err != nil {
		return "", "", err
	}
	envVar := SecretEnvVar(name)
	if v := s.getenv(envVar); v != "" {
		return v, SourceEnv, nil
	}
	if p := s.getenv(envVar + "_FILE"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", "", fmt.Errorf("secret %q: $%s_FILE: %w", name, envVar, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", "", fmt.Errorf("secret %q: $%s_FILE: file %s is empty", name, envVar, p)
		}
		return v, SourceEnv, nil
	}

	v, err := s.keyringDo(ctx, func() (string, error) { return s.kr.Get(KeyringService, name) })
	switch {
	case err == nil:
		return v, SourceKeyring, nil
	case errors.Is(err, keyring.ErrNotFound), errors.Is(err, ErrKeyringUnavailable):
		// Not there, or not usable: try the file.
	default:
		return "", "", err
	}

	if s.file != "" {
		s.fileMu.Lock()
		m, err := s.readFile()
		s.fileMu.Unlock()
		if err != nil {
			return "", "", err
		}
		if v, ok := m[name]; ok {
			return v, SourceFile, nil
		}
	}

	looked := []string{"$" + envVar, "$" + envVar + "_FILE"}
	if s.kr != nil {
		looked = append(looked, "the OS keyring")
	}
	if s.file != "" {
		looked = append(looked, s.file)
	}
	return "", "", fmt.Errorf("%w: %q (looked in %s)", ErrSecretNotFound, name, strings.Join(looked, ", "))
}

// Set stores the secret in the OS keyring and returns SourceKeyring; a stale
// copy in the secrets file is then removed. If the keyring is unavailable it
// stores the secret in the secrets file (directory 0700, file 0600, written
// atomically), returns SourceFile and, the first time only, writes a warning
// to SecretsOptions.Warn. Secrets in the environment are not affected.
func (s *Secrets) Set(ctx context.Context, name, value string) (source string, err error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if value == "" {
		return "", fmt.Errorf("secret %q: empty value", name)
	}

	_, err = s.keyringDo(ctx, func() (string, error) { return "", s.kr.Set(KeyringService, name, value) })
	if err == nil {
		if rerr := s.removeFromFile(name); rerr != nil {
			fmt.Fprintf(s.warn, "warning: secret %q stored in the OS keyring, but its old copy in %s was not removed: %v\n", name, s.file, rerr)
		}
		return SourceKeyring, nil
	}
	if !errors.Is(err, ErrKeyringUnavailable) {
		return "", err
	}
	if s.file == "" {
		return "", fmt.Errorf("cannot store secret %q: %w and no secrets file is configured", name, err)
	}

	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	m, err := s.readFile()
	if err != nil {
		return "", err
	}
	m[name] = value
	if err := s.writeFile(m); err != nil {
		return "", err
	}
	s.warnOnce()
	return SourceFile, nil
}

// Delete removes the secret from the OS keyring and from the secrets file.
// It returns an error wrapping ErrSecretNotFound if neither held it.
// Secrets in the environment cannot be deleted.
func (s *Secrets) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	deleted := false
	_, err := s.keyringDo(ctx, func() (string, error) { return "", s.kr.Delete(KeyringService, name) })
	switch {
	case err == nil:
		deleted = true
	case errors.Is(err, keyring.ErrNotFound), errors.Is(err, ErrKeyringUnavailable):
	default:
		return err
	}

	if s.file != "" {
		s.fileMu.Lock()
		removed, err := s.deleteFromFileLocked(name)
		s.fileMu.Unlock()
		if err != nil {
			return err
		}
		deleted = deleted || removed
	}
	if deleted {
		return nil
	}
	envVar := SecretEnvVar(name)
	if s.getenv(envVar) != "" || s.getenv(envVar+"_FILE") != "" {
		return fmt.Errorf("%w: %q is not stored (it is set through $%s or $%s_FILE; unset that instead)", ErrSecretNotFound, name, envVar, envVar)
	}
	return fmt.Errorf("%w: %q", ErrSecretNotFound, name)
}

// keyringDo runs op against the keyring, bounded by the timeout and ctx.
// It returns op's result on success, an error wrapping keyring.ErrNotFound
// if the secret is not there, ctx.Err() if ctx ended, and an error wrapping
// ErrKeyringUnavailable if the keyring is (or has just turned out to be)
// unusable.
func (s *Secrets) keyringDo(ctx context.Context, op func() (string, error)) (string, error) {
	if err := s.KeyringUnavailable(); err != nil {
		return "", fmt.Errorf("%w (%v)", ErrKeyringUnavailable, err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1) // buffered: a late answer must not block the goroutine
	go func() {
		v, err := op()
		ch <- result{v, err}
	}()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()

	var cause error
	select {
	case r := <-ch:
		if r.err == nil || errors.Is(r.err, keyring.ErrNotFound) {
			return r.v, r.err
		}
		cause = r.err
	case <-timer.C:
		cause = fmt.Errorf("no answer within %v", s.timeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}

	s.mu.Lock()
	if s.krErr == nil {
		s.krErr = cause
	}
	s.mu.Unlock()
	return "", fmt.Errorf("%w (%v)", ErrKeyringUnavailable, cause)
}

// warnOnce prints the fallback warning the first time only.
func (s *Secrets) warnOnce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned {
		return
	}
	s.warned = true
	fmt.Fprintf(s.warn, "warning: OS keyring unavailable (%v); storing secret in %s (mode 0600)\n", s.krErr, s.file)
}

// readFile reads the secrets file; a missing file is an empty map. The
// caller holds fileMu.
func (s *Secrets) readFile() (map[string]string, error) {
	f, err := os.Open(s.file)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read secrets file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read secrets file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets file %s is not a regular file", s.file)
	}
	// Windows has no Unix permission bits to check.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("secrets file %s has mode %04o, so other users may read it; refusing to use it: run `chmod 600 %s`", s.file, perm, s.file)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read secrets file: %w", err)
	}
	m := map[string]string{}
	if len(bytes.TrimSpace(b)) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("secrets file %s: invalid JSON (want an object of name → value): %w", s.file, err)
	}
	return m, nil
}

// writeFile atomically replaces the secrets file with m: the directory is
// created 0700, the data goes to a 0600 temporary file in it, which is then
// renamed over the file. The caller holds fileMu.
func (s *Secrets) writeFile(m map[string]string) error {
	dir := filepath.Dir(s.file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create secrets directory: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode secrets: %w", err)
	}
	b = append(b, '\n')

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.file)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("write secrets file: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	if err := os.Rename(tmpName, s.file); err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	ok = true
	return nil
}

// removeFromFile drops a stale copy of name from the secrets file, if any.
func (s *Secrets) removeFromFile(name string) error {
	if s.file == "" {
		return nil
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	_, err := s.deleteFromFileLocked(name)
	return err
}

// deleteFromFileLocked removes name from the secrets file, removing the file
// when it becomes empty, and reports whether name was there. The caller
// holds fileMu.
func (s *Secrets) deleteFromFileLocked(name string) (bool, error) {
	m, err := s.readFile()
	if err != nil {
		return false, err
	}
	if _, ok := m[name]; !ok {
		return false, nil
	}
	delete(m, name)
	if len(m) == 0 {
		if err := os.Remove(s.file); err != nil {
			return false, fmt.Errorf("remove secrets file: %w", err)
		}
		return true, nil
	}
	return true, s.writeFile(m)
}
