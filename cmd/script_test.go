package cmd

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// TestMain lets testscript run swhook as a real subprocess (the test binary
// re-executed as "swhook"), so the .txtar scripts exercise exit codes,
// streams and the environment exactly as a user's shell would.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"swhook": func() { os.Exit(Run(context.Background(), cmdutil.New("test"), os.Args[1:])) },
	})
}

// TestScripts runs the end-to-end scenarios in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/state")
			env.Setenv("SWHOOK_STORE", env.WorkDir+"/swhook.db")
			return nil
		},
	})
}
