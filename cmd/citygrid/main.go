// Command citygrid is the one binary of citygrid: it generates the demo
// city, serves a city, imports and exports layers and bakes tiles.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{
	"demo":      {"generate the demo city into a directory (unless there) and serve it", runDemo},
	"serve":     {"serve the city stored in a directory", runServe},
	"import":    {"load a GeoJSON, GeoPackage or CSV file into a layer", runImport},
	"export":    {"write a layer as GeoJSON or GeoPackage", runExport},
	"bake":      {"pre-generate vector tiles into the MBTiles store", runBake},
	"token":     {"create, list and revoke API tokens", runToken},
	"user":      {"add, list, disable and reset the people who sign in", runUser},
	"backup":    {"copy the store consistently while the server runs", runBackup},
	"restore":   {"replace the store by a backup (server stopped)", runRestore},
	"changeset": {"check (dry run) or apply a survey changeset file", runChangeset},
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: citygrid <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'citygrid <command> --help' for a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "citygrid: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "citygrid %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
