package cmd

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// TestMain lets testscript run swhook as a real subprocess (the test binary
// re-executed as "swhook"), so the .txtar scripts exercise exit codes,
// streams and the environment exactly as a user's shell would.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"swhook": func() {
			// As Execute does: Ctrl-C and SIGTERM end the command's context.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := Run(ctx, cmdutil.New("test"), os.Args[1:])
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs the end-to-end scenarios in testdata/script: the
// one-shot commands, and the listen stories (listen_*.txtar) with the
// commands in script_cmds_test.go.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: scriptCmds,
		Setup: func(env *testscript.Env) error {
			env.Values[listenKey{}] = map[string]*scriptListen{}
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/state")
			env.Setenv("SWHOOK_STORE", env.WorkDir+"/swhook.db")
			return nil
		},
	})
}
