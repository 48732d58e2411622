package config

import "github.com/zalando/go-keyring"

// KeyringService is the service name secrets are stored under in the OS
// keyring; the keyring user is the secret's name.
const KeyringService = "wealthalloc"

// Keyring is the part of an OS keyring that Secrets uses. Get and Delete
// must return an error wrapping keyring.ErrNotFound (from
// github.com/zalando/go-keyring) when there is no such secret; any other
// error means the keyring is unavailable. Calls may block (a keyring can
// show a prompt); Secrets bounds each call with a timeout.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// OSKeyring returns the OS keyring (Secret Service over D-Bus on Linux, the
// Keychain on macOS, the Credential Manager on Windows) via
// github.com/zalando/go-keyring. Tests can call keyring.MockInit() first to
// replace it with an in-memory store.
func OSKeyring() Keyring { return osKeyring{} }

type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }

func (osKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}

func (osKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }
