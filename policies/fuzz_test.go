package policies_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// FuzzParse: Parse never panics; a refusal is an *Error naming the file; an
// accepted file gives the same rules every time, valid ones, and Format
// writes them back to a file that parses to the same rules. Seeded with the
// catalog's files and every file of testdata.
//
//	go test -run=XXX -fuzz=FuzzParse ./policies
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"*.yaml", "testdata/*.yaml", "testdata/*/*.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := policies.Parse("fuzz.yaml", data)
		if err != nil {
			var pe *policies.Error
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "fuzz.yaml:") || r != nil {
				t.Fatalf("refusal %T %q with rules %v", err, err, r)
			}
			return
		}
		again, err := policies.Parse("fuzz.yaml", data)
		if err != nil || !reflect.DeepEqual(r, again) {
			t.Fatalf("the same file parsed twice differs: %v\n%+v\n%+v", err, r, again)
		}
		if err := sane(r); err != nil {
			t.Fatalf("accepted rules that are not valid: %v\n%+v", err, r)
		}
		text := policies.Format(r)
		back, err := policies.Parse("formatted.yaml", text)
		if err != nil {
			t.Fatalf("Format wrote a file Parse refuses: %v\n%s", err, text)
		}
		if !reflect.DeepEqual(withoutLines(back.List), withoutLines(r.List)) || !reflect.DeepEqual(back.Arch, r.Arch) ||
			back.PolicyName != r.PolicyName || back.Description != r.Description {
			t.Fatalf("Format did not round-trip:\n%+v\n%+v\n%s", r, back, text)
		}
	})
}

// sane checks what the loader promises of every policy it returns.
func sane(r *policy.Rules) error {
	if r.PolicyName == "" {
		return errors.New("no name")
	}
	if err := r.Arch.Validate(); err != nil {
		return err
	}
	for _, rule := range r.List {
		switch {
		case rule.Do < policy.Retry || rule.Do > policy.Fail:
			return errors.New("invalid action")
		case rule.Do != policy.Retry && (rule.MaxRetries != 0 || rule.DedupToken || rule.RequireKey):
			return errors.New("retry-only keys on a rule that does not retry")
		case !policy.ValidRetries(rule.MaxRetries):
			return errors.New("max_retries out of range")
		case rule.Line < 1:
			return errors.New("a rule without a line")
		case rule.When.Attempt < 0:
			return errors.New("negative attempt")
		}
	}
	return nil
}
