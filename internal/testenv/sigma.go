package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ModuleRoot is the folder of go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root not found")
		}
		dir = parent
	}
}

// SigmaLibrary is the SigmaHQ library the tests read, ../shared/sigma
// beside the module root, or why it cannot be used.
func SigmaLibrary() (string, error) {
	dir, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "..", "shared", "sigma")
	if _, err := os.Stat(filepath.Join(p, "rules")); err != nil {
		return "", fmt.Errorf("SigmaHQ library not found at %s (tests read it from ../shared/sigma beside the module root)", filepath.Clean(p))
	}
	return p, nil
}
