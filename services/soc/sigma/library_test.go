package sigma

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/opsward/opsward/internal/testenv"
)

// sharedSigma is ../shared/sigma beside the module root; tests that need
// the SigmaHQ library skip when it is absent (TestMain says so on stderr).
func sharedSigma(t testing.TB) string {
	t.Helper()
	p, err := sharedSigmaDir()
	if err != nil {
		t.Skip(err.Error())
	}
	return p
}

// sharedSigmaDir is the test environment's.
var sharedSigmaDir = testenv.SigmaLibrary

// TestMain says in one line, whatever the verbosity, when the tests that
// need the SigmaHQ library are skipped: a skip alone shows only with -v,
// and a green run without the library proves much less.
func TestMain(m *testing.M) {
	if _, err := sharedSigmaDir(); err != nil {
		fmt.Fprintf(os.Stderr, "sigma: SKIPPED the SigmaHQ library, regression and correlation-example tests: %v\n", err)
	}
	os.Exit(m.Run())
}

type library struct {
	rules     []*Rule
	parseErrs []error
	files     int
	set       *RuleSet
}

var (
	libOnce sync.Once
	lib     library
)

func loadLibrary(t testing.TB) *library {
	root := sharedSigma(t)
	libOnce.Do(func() {
		dirs, _ := filepath.Glob(filepath.Join(root, "rules*"))
		for _, d := range dirs {
			_ = filepath.WalkDir(d, func(p string, de os.DirEntry, err error) error {
				if err == nil && !de.IsDir() && strings.HasSuffix(p, ".yml") {
					lib.files++
				}
				return nil
			})
		}
		lib.rules, lib.parseErrs = LoadDir(dirs...)
		lib.set = Compile(lib.rules, Config{})
	})
	return &lib
}

func reasonOf(err error) string {
	s := err.Error()
	// Keep what is wrong, drop the file and the value, to group failures.
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

func TestLibraryLoads(t *testing.T) {
	l := loadLibrary(t)
	refused := map[string][]string{}
	for _, e := range l.parseErrs {
		refused["parse: "+reasonOf(e)] = append(refused["parse: "+reasonOf(e)], e.Error())
	}
	for _, r := range l.set.Refused {
		k := "compile: " + reasonOf(r.Err)
		refused[k] = append(refused[k], r.Err.Error())
	}
	t.Logf("sigma-library: files=%d parsed=%d compiled=%d refused_parse=%d refused_compile=%d correlations=%d",
		l.files, len(l.rules), l.set.Len(), len(l.parseErrs), len(l.set.Refused), len(l.set.Correlations))
	keys := make([]string, 0, len(refused))
	for k := range refused {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("refused (%d) %s", len(refused[k]), k)
		for _, e := range refused[k] {
			t.Logf("    %s", e)
		}
	}
	total := len(l.parseErrs) + len(l.set.Refused)
	if float64(total) >= 0.01*float64(l.files) {
		t.Errorf("%d of %d rule files refused (goal: under 1%%)", total, l.files)
	}
	for _, r := range l.set.Refused {
		var re interface{ Error() string }
		if !errors.As(r.Err, &re) || !strings.Contains(r.Err.Error(), r.Rule.File) {
			t.Errorf("refusal does not name its file: %v", r.Err)
		}
	}
}

type regressionInfo struct {
	RuleMetadata []struct {
		ID    string `yaml:"id"`
		Title string `yaml:"title"`
	} `yaml:"rule_metadata"`
	Tests []struct {
		Name       string `yaml:"name"`
		Type       string `yaml:"type"`
		MatchCount int    `yaml:"match_count"`
		Path       string `yaml:"path"`
	} `yaml:"regression_tests_info"`
}

type regressionCase struct {
	dir    string
	ruleID string
	file   string
	want   int
	events []Event
}

func readEVTXJSON(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var out []Event
	for {
		var raw map[string]any
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return out, err
		}
		out = append(out, FlattenEVTX(raw))
	}
}

func loadRegression(t testing.TB) []regressionCase {
	root := sharedSigma(t)
	var cases []regressionCase
	_ = filepath.WalkDir(filepath.Join(root, "regression_data"), func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Name() != "info.yml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var info regressionInfo
		if err := yaml.Unmarshal(data, &info); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(info.RuleMetadata) == 0 {
			return nil
		}
		for _, tc := range info.Tests {
			if tc.Type != "evtx" {
				continue
			}
			file := filepath.Join(filepath.Dir(p), strings.TrimSuffix(filepath.Base(tc.Path), ".evtx")+".json")
			evs, err := readEVTXJSON(file)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			want := tc.MatchCount
			if want < 1 {
				want = 1
			}
			cases = append(cases, regressionCase{dir: filepath.Dir(p), ruleID: info.RuleMetadata[0].ID, file: file, want: want, events: evs})
		}
		return nil
	})
	return cases
}

func TestRegression(t *testing.T) {
	l := loadLibrary(t)
	cases := loadRegression(t)
	passed := 0
	for _, rc := range cases {
		got := 0
		for _, ev := range rc.events {
			for _, m := range l.set.Evaluate(ev) {
				if m.RuleID == rc.ruleID {
					got++
					break
				}
			}
		}
		if got >= rc.want {
			passed++
			continue
		}
		// Say whether routing or matching is at fault.
		naive := 0
		for _, r := range l.rules {
			if r.ID == rc.ruleID {
				one := Compile([]*Rule{r}, Config{DisableRouting: true})
				for _, ev := range rc.events {
					if len(one.EvaluateIn(ev, []LogSource{r.LogSource})) > 0 {
						naive++
					}
				}
				if len(one.Refused) > 0 {
					t.Logf("    refused: %v", one.Refused[0].Err)
				}
			}
		}
		t.Logf("FAIL %s: rule %s matched %d of %d events, want %d (ignoring logsource: %d)", rc.dir, rc.ruleID, got, len(rc.events), rc.want, naive)
	}
	t.Logf("sigma-regression: passed=%d total=%d", passed, len(cases))
	if len(cases) == 0 || float64(passed) < 0.98*float64(len(cases)) {
		t.Errorf("sigma-regression: passed=%d total=%d (below 98%%)", passed, len(cases))
	}
}

// TestIndexChangesNothing checks on the regression events that routing and
// the literal prefilter give exactly the matches of the naive evaluator.
func TestIndexChangesNothing(t *testing.T) {
	l := loadLibrary(t)
	naive := Compile(l.rules, Config{DisableRouting: true, DisablePrefilter: true})
	routedOnly := Compile(l.rules, Config{DisablePrefilter: true})
	for _, rc := range loadRegression(t) {
		for i, ev := range rc.events {
			want := ids(naive.Evaluate(ev))
			if got := ids(l.set.Evaluate(ev)); got != want {
				t.Errorf("%s event %d: indexed %q, naive %q", rc.file, i, got, want)
			}
			if got := ids(routedOnly.Evaluate(ev)); got != want {
				t.Errorf("%s event %d: routed %q, naive %q", rc.file, i, got, want)
			}
		}
	}
}

func ids(ms []Match) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.RuleID
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// Without the library, the test binary says so on stderr even without -v.
func TestMissingLibraryIsReported(t *testing.T) {
	if os.Getenv("OPSWARD_SIGMA_CHILD") != "" {
		t.Skip("in the child run")
	}
	mod := filepath.Join(t.TempDir(), "mod")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLibraryLoads$")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "OPSWARD_SIGMA_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child run: %v\n%s", err, stderr.String())
	}
	want := "sigma: SKIPPED the SigmaHQ library"
	if !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), filepath.Join(filepath.Dir(mod), "shared", "sigma")) {
		t.Fatalf("stderr %q does not say %q and where it looked", stderr.String(), want)
	}
	if strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("want one line on stderr, got %q", stderr.String())
	}
}
