package cmd

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/export/har"
	"github.com/swhook/swhook/inspect/store"
)

// ExportOptions holds what `swhook export` was asked to do.
type ExportOptions struct {
	IO    *cmdutil.IOStreams
	HAR   string // file, or "-" for stdout
	IDs   []int64
	Since time.Duration
	Event string
	// Call exports one call's webhooks (an ID, a prefix of one, or last).
	Call      string
	StorePath string
}

// NewCmdExport builds `swhook export`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams}
	var since string
	cmd := &cobra.Command{
		Use:   "export --har FILE [ID...]",
		Short: "Write captured exchanges as a HAR 1.2 archive",
		Long: `Write captured exchanges as HAR 1.2, which browser dev tools and HTTP clients
import. Without IDs, every exchange is exported (or those --since and --event
select), oldest first. FILE "-" writes to stdout. The archive holds request
headers, signatures included: treat it like the store.`,
		Example: `  swhook export --har webhooks.har
  swhook export --har - 12 13 14
  swhook export --har calls.har --since 1h --event call
  swhook export --har call.har --call last`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.HAR == "" {
				return cmdutil.UsageErrorf("--har FILE is required (- for stdout)")
			}
			if len(args) > 0 && (since != "" || opts.Event != "") {
				return cmdutil.UsageErrorf("give IDs or --since/--event, not both")
			}
			if opts.Call != "" && (len(args) > 0 || since != "" || opts.Event != "") {
				return cmdutil.UsageErrorf("--call exports one call's webhooks: give no IDs, --since or --event with it")
			}
			for _, a := range args {
				id, last, err := parseExchangeRef(a)
				if err != nil {
					return err
				}
				if last {
					return cmdutil.UsageErrorf("export takes IDs; 'last' is for show and replay")
				}
				opts.IDs = append(opts.IDs, id)
			}
			if since != "" {
				var err error
				if opts.Since, err = parseSinceDuration(since); err != nil {
					return err
				}
			}
			if err := checkEventWord(opts.Event); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runExport(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.HAR, "har", "", "write a HAR 1.2 archive to FILE (- for stdout)")
	cmd.Flags().StringVar(&since, "since", "", "only exchanges this recent (e.g. 30m, 2h, 1d)")
	cmd.Flags().StringVar(&opts.Event, "event", "", eventFlagHelp)
	cmd.Flags().StringVar(&opts.Call, "call", "", "only one call's webhooks: its ID (a unique prefix will do) or last (see swhook list --calls)")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	return cmd
}

func runExport(ctx context.Context, f *cmdutil.Factory, o *ExportOptions) error {
	st, err := openStore(ctx, f, o.StorePath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if o.Call != "" {
		c, err := st.CallOf(ctx, o.Call)
		if err != nil {
			return fmt.Errorf("%w (swhook list --calls names them)", err)
		}
		for _, x := range c.Exchanges {
			o.IDs = append(o.IDs, x.ID)
		}
	}
	q := store.Query{IDs: o.IDs}
	eventQuery(&q, o.Event)
	if o.Since > 0 {
		q.Since = f.Now().Add(-o.Since)
	}
	xs, err := st.List(ctx, q)
	if err != nil {
		return fmt.Errorf("read the store: %w", err)
	}
	if len(o.IDs) > 0 {
		found := map[int64]bool{}
		for _, x := range xs {
			found[x.ID] = true
		}
		for _, id := range o.IDs {
			if !found[id] {
				return fmt.Errorf("no exchange #%d: 'swhook list' shows the IDs there are", id)
			}
		}
	}
	slices.SortFunc(xs, func(a, b *exchange.Exchange) int { return cmp.Compare(a.ID, b.ID) }) // oldest first

	var buf bytes.Buffer
	if err := har.Write(&buf, xs, f.Version); err != nil {
		return err
	}
	if o.HAR == "-" {
		_, err := o.IO.Out.Write(buf.Bytes())
		return err
	}
	// 0600, never through a symlink: the archive carries signatures and
	// whatever the webhooks said.
	if err := cmdutil.WritePrivateFile(o.HAR, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "wrote %d exchange(s) to %s\n", len(xs), o.HAR)
	return nil
}
