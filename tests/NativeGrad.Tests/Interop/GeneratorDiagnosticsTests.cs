using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using NativeGrad.Bindings.Generator;

namespace NativeGrad.Tests.Interop;

/// <summary>The source generator itself, run in-process by Roslyn's driver on synthetic headers.</summary>
public class GeneratorDiagnosticsTests
{
    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private static (ImmutableArray<Diagnostic> Diagnostics, string[] Sources) Run(params AdditionalText[] headers)
    {
        CSharpCompilation compilation = CSharpCompilation.Create("Probe", options: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            generators: new[] { new BindingsGenerator().AsSourceGenerator() },
            additionalTexts: headers);
        GeneratorDriverRunResult result = driver.RunGenerators(compilation).GetRunResult();
        return (result.Diagnostics, result.GeneratedTrees.Select(t => t.ToString()).ToArray());
    }

    [Fact]
    public void ValidHeaderGeneratesSourceAndNoDiagnostics()
    {
        var (diagnostics, sources) = Run(new InMemoryAdditionalText("/x/nativegrad.h",
            "typedef enum ng_status { NG_STATUS_OK = 0 } ng_status;\nNG_API ng_status ng_ping(void);\n"));
        Assert.Empty(diagnostics);
        string source = Assert.Single(sources);
        Assert.Contains("internal static partial NgStatus ng_ping();", source, StringComparison.Ordinal);
    }

    [Fact]
    public void UnparsableDeclarationIsACompileErrorAtItsHeaderLine()
    {
        var (diagnostics, _) = Run(new InMemoryAdditionalText("/x/nativegrad.h",
            "typedef enum ng_status { NG_STATUS_OK = 0 } ng_status;\n\n/* a comment */\nNG_API ng_status ng_bad(size_t n);\n"));
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("NGB001", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        FileLinePositionSpan span = d.Location.GetLineSpan();
        Assert.Equal("/x/nativegrad.h", span.Path);
        Assert.Equal(3, span.StartLinePosition.Line); // 0-based: the fourth line
        Assert.Contains("line 4", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains("size_t", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingHeaderIsReported()
    {
        var (diagnostics, sources) = Run();
        Assert.Equal("NGB002", Assert.Single(diagnostics).Id);
        Assert.Empty(sources);
    }

    [Fact]
    public void TwoHeadersAreAnError()
    {
        var (diagnostics, _) = Run(
            new InMemoryAdditionalText("/x/a.h", "NG_API int32_t ng_a(void);\n"),
            new InMemoryAdditionalText("/x/b.h", "NG_API int32_t ng_b(void);\n"));
        Assert.Equal("NGB003", Assert.Single(diagnostics).Id);
    }
}
