package schema

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
)

// Docs holds doc comments by Go name: "importpath.Type" for a type and
// "importpath.Type.Field" for a struct field, each as one line of text.
type Docs map[string]string

// ReadDocs reads the doc comments of the types and struct fields declared
// in the non-test Go files of the packages pkgs (import paths under
// module, whose source is in the directory root). A field without a doc
// comment of its own takes its line comment, or else the doc comment of
// the fields it is grouped with (no blank line between them), which is how
// the sources document several fields at once.
func ReadDocs(root, module string, pkgs ...string) (Docs, error) {
	docs := Docs{}
	for _, pkg := range pkgs {
		rel, ok := strings.CutPrefix(pkg, module)
		if !ok {
			return nil, fmt.Errorf("schema: package %s is not in module %s", pkg, module)
		}
		dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
		fset := token.NewFileSet()
		parsed, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("schema: reading %s: %w", dir, err)
		}
		for _, p := range parsed {
			for _, f := range p.Files {
				readFile(docs, fset, pkg, f)
			}
		}
	}
	return docs, nil
}

func readFile(docs Docs, fset *token.FileSet, pkg string, f *ast.File) {
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			name := pkg + "." + ts.Name.Name
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			if text := oneLine(doc); text != "" {
				docs[name] = text
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			group, lastLine := "", -1
			for _, field := range st.Fields.List {
				start := fset.Position(field.Pos()).Line
				if field.Doc != nil {
					start = fset.Position(field.Doc.Pos()).Line
				}
				switch {
				case field.Doc != nil:
					group = oneLine(field.Doc)
				case start != lastLine+1:
					group = "" // a blank line ends a group
				}
				lastLine = fset.Position(field.End()).Line
				text := oneLine(field.Doc)
				if text == "" {
					text = oneLine(field.Comment)
				}
				if text == "" {
					text = group
				}
				if text == "" {
					continue
				}
				for _, id := range field.Names {
					docs[name+"."+id.Name] = text
				}
				if len(field.Names) == 0 { // embedded
					docs[name+"."+typeName(field.Type)] = text
				}
			}
		}
	}
}

// typeName returns the name of an embedded field's type.
func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return t.Sel.Name
	case *ast.StarExpr:
		return typeName(t.X)
	}
	return ""
}

// oneLine returns the comment's text as one line.
func oneLine(c *ast.CommentGroup) string {
	if c == nil {
		return ""
	}
	return strings.Join(strings.Fields(c.Text()), " ")
}
