// Package datadriven runs table tests whose cases and expected outputs live
// in plain text files, typically under a package's testdata directory.
//
// A test file is a sequence of directives. Each directive is a command line,
// optional input lines, a "----" separator and the expected output, ended by
// a blank line or the end of the file:
//
//	# Comments and blank lines between directives are ignored.
//	propose node=1 keys=(a, b) sync
//	payload line one
//	payload line two
//	----
//	ok: 2 keys
//
// The command line starts with the command name, followed by arguments that
// are a bare word ("sync"), a key with one value ("node=1", or "key=" for an
// empty value) or a key with several values ("keys=(a, b)"). A command line
// ending in a backslash continues on the next line. Input lines may not be
// blank.
//
// Output that contains blank lines uses the double-separator form, which is
// opened by two "----" lines and closed by two more:
//
//	dump
//	----
//	----
//	first paragraph
//
//	second paragraph
//	----
//	----
//
// RunTest and Walk call a function for every directive and compare the
// output it returns with the expected output. Running the tests with the
// -rewrite flag (or with DATADRIVEN_REWRITE=1 in the environment) instead
// replaces the expected outputs in the files with the actual ones, keeping
// comments and command lines byte for byte:
//
//	go test ./raft -run TestTrace -rewrite
package datadriven
