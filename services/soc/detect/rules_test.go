package detect

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/testenv"
)

// moduleRoot and sharedSigmaDir are the test environment's.
var (
	moduleRoot     = testenv.ModuleRoot
	sharedSigmaDir = testenv.SigmaLibrary
)

// TestMain says in one line, whatever the verbosity, when the tests that
// need the SigmaHQ library are skipped.
func TestMain(m *testing.M) {
	if _, err := sharedSigmaDir(); err != nil {
		fmt.Fprintf(os.Stderr, "detect: SKIPPED the tests on SigmaHQ library rules: %v\n", err)
	}
	os.Exit(m.Run())
}

// Every document of the SigmaHQ library is accepted as the import takes
// it (one document at a time, under the default size limit), those that
// filter on a %placeholder% too.
func TestEveryLibraryRuleLoads(t *testing.T) {
	root, err := sharedSigmaDir()
	if err != nil {
		t.Skip(err.Error())
	}
	n := 0
	for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() || filepath.Ext(p) != ".yml" {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, part := range docSplit.Split(string(b), -1) {
				if strings.TrimSpace(part) == "" {
					continue
				}
				n++
				if _, err := parseOne(p, part, DefaultMaxRuleBytes); err != nil {
					t.Errorf("refused: %v", err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 3000 {
		t.Fatalf("only %d rule documents found under %s", n, root)
	}
}

// The largest rule of the SigmaHQ library (the vulnerable-driver list,
// about 290 KiB) is accepted under the default limit; a rule over the
// limit is refused with a message that names the setting.
func TestLargestLibraryRuleLoads(t *testing.T) {
	root, err := sharedSigmaDir()
	if err != nil {
		t.Skip(err.Error())
	}
	var largest string
	var size int64
	for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		filepath.WalkDir(filepath.Join(root, d), func(p string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() || filepath.Ext(p) != ".yml" {
				return nil
			}
			if fi, err := de.Info(); err == nil && fi.Size() > size {
				largest, size = p, fi.Size()
			}
			return nil
		})
	}
	if size <= 256<<10 {
		t.Fatalf("the largest library rule %s has %d bytes: the library is not the one this test knows", largest, size)
	}
	b, err := os.ReadFile(largest)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseOne(filepath.Base(largest), string(b), DefaultMaxRuleBytes)
	if err != nil {
		t.Fatalf("%s (%d bytes): %v", largest, size, err)
	}
	if r.ID == "" || r.LogSource.Category != "driver_load" {
		t.Fatalf("%s parsed to %+v", largest, r.LogSource)
	}
	_, err = parseOne(filepath.Base(largest), string(b), int(size)-1)
	if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != "yaml" {
		t.Fatalf("a rule over the limit: %v", err)
	}
}
