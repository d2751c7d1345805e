package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opsward/opsward/tenants/authn"
)

// loadKeys returns the JWT signing key ring and the sealer for secrets at
// rest. Each comes from configuration when set; otherwise from a file in
// the data folder, generated on first start (mode 0600). Several hosts
// must share the same keys: set OPSWARD_JWT_KEYS_FILE and
// OPSWARD_SEAL_KEYS to the same values on each.
func (m *Main) loadKeys() (*authn.KeyRing, *authn.Sealer, error) {
	ringPath := m.Config.JWTKeysFile
	if ringPath == "" {
		ringPath = filepath.Join(m.Config.DataDir, "jwt-keys.json")
	}
	ring, err := loadOrCreate(ringPath, func() ([]byte, error) {
		r, err := authn.GenerateKeyRing(time.Now())
		if err != nil {
			return nil, err
		}
		return r.MarshalJSON()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("OPSWARD_JWT_KEYS_FILE: %v", err)
	}
	keys, err := authn.ParseKeyRing(ring)
	if err != nil {
		return nil, nil, fmt.Errorf("OPSWARD_JWT_KEYS_FILE: %s: %v", ringPath, err)
	}
	sealSpec := m.Config.SealKeys
	if sealSpec == "" {
		b, err := loadOrCreate(filepath.Join(m.Config.DataDir, "seal.keys"), func() ([]byte, error) {
			k, err := authn.GenerateSealKey()
			return []byte("k1:" + k + "\n"), err
		})
		if err != nil {
			return nil, nil, fmt.Errorf("OPSWARD_SEAL_KEYS: %v", err)
		}
		sealSpec = strings.TrimSpace(string(b))
	}
	sc, err := authn.ParseSealKeys(sealSpec)
	if err != nil {
		return nil, nil, fmt.Errorf("OPSWARD_SEAL_KEYS: %v", err)
	}
	sealer, err := authn.NewSealer(sc)
	if err != nil {
		return nil, nil, fmt.Errorf("OPSWARD_SEAL_KEYS: %v", err)
	}
	return keys, sealer, nil
}

// loadOrCreate reads path, or writes what gen makes to it when it does not
// exist yet (exclusively, so two processes starting together agree).
func loadOrCreate(path string, gen func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	b, err = gen()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	return b, f.Close()
}
