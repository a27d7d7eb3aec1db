// Incremental source generator: nativegrad.h (passed as an AdditionalFile) → NativeGrad.Interop.
// Parse problems are compile errors located at the header line, so a declaration the bindings
// cannot express stops the build instead of disappearing from the bindings.
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace NativeGrad.Bindings.Generator
{
    [Generator(LanguageNames.CSharp)]
    public sealed class BindingsGenerator : IIncrementalGenerator
    {
        private const string Category = "NativeGrad.Bindings";

        internal static readonly DiagnosticDescriptor HeaderError = new DiagnosticDescriptor(
            "NGB001", "Header declaration cannot be bound",
            "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            description: "The bindings generator only understands the declaration shapes listed in the header's format rules.");

        internal static readonly DiagnosticDescriptor NoHeader = new DiagnosticDescriptor(
            "NGB002", "No native header",
            "No C header (.h) was passed as an AdditionalFile; the NativeGrad.Interop bindings were not generated",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        internal static readonly DiagnosticDescriptor ManyHeaders = new DiagnosticDescriptor(
            "NGB003", "More than one native header",
            "Exactly one C header must be passed as an AdditionalFile, found: {0}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValueProvider<ImmutableArray<HeaderInput>> headers = context.AdditionalTextsProvider
                .Where(static t => t.Path.EndsWith(".h", StringComparison.OrdinalIgnoreCase))
                .Select(static (t, ct) => new HeaderInput(t.Path, t.GetText(ct)?.ToString() ?? string.Empty))
                .Collect();

            IncrementalValueProvider<GenerationResult> results = headers.Select(static (inputs, _) => Generate(inputs));

            context.RegisterSourceOutput(results, static (spc, result) =>
            {
                foreach (DiagnosticInfo d in result.Diagnostics)
                {
                    spc.ReportDiagnostic(d.ToDiagnostic());
                }

                if (result.Source != null)
                {
                    spc.AddSource("NativeGrad.Interop.g.cs", SourceText.From(result.Source, Encoding.UTF8));
                }
            });
        }

        private static GenerationResult Generate(ImmutableArray<HeaderInput> inputs)
        {
            if (inputs.Length == 0)
            {
                return new GenerationResult(null, new[] { new DiagnosticInfo(NoHeader, null, 0, string.Empty) });
            }

            if (inputs.Length > 1)
            {
                string names = string.Join(", ", inputs.Select(i => i.Path));
                return new GenerationResult(null, new[] { new DiagnosticInfo(ManyHeaders, null, 0, names) });
            }

            HeaderInput header = inputs[0];
            HeaderModel model = HeaderParser.Parse(header.Text);
            var diagnostics = model.Diagnostics
                .Select(d => new DiagnosticInfo(HeaderError, header.Path, d.Line, Path.GetFileName(header.Path) + " line " + d.Line + ": " + d.Message))
                .ToArray();

            // Even with errors, emit what was understood so the rest of the code base keeps
            // resolving names (the errors alone fail the build).
            return new GenerationResult(BindingsEmitter.Emit(model, Path.GetFileName(header.Path)), diagnostics);
        }

        private sealed class HeaderInput : IEquatable<HeaderInput>
        {
            public HeaderInput(string path, string text)
            {
                Path = path;
                Text = text;
            }

            public string Path { get; }
            public string Text { get; }

            public bool Equals(HeaderInput? other) => other != null && other.Path == Path && other.Text == Text;

            public override bool Equals(object? obj) => Equals(obj as HeaderInput);

            public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Path) ^ StringComparer.Ordinal.GetHashCode(Text);
        }

        /// <summary>Value-equal, so an unchanged header costs nothing on later compilations.</summary>
        private sealed class GenerationResult : IEquatable<GenerationResult>
        {
            public GenerationResult(string? source, IReadOnlyList<DiagnosticInfo> diagnostics)
            {
                Source = source;
                Diagnostics = diagnostics;
            }

            public string? Source { get; }
            public IReadOnlyList<DiagnosticInfo> Diagnostics { get; }

            public bool Equals(GenerationResult? other) =>
                other != null && other.Source == Source && other.Diagnostics.SequenceEqual(Diagnostics);

            public override bool Equals(object? obj) => Equals(obj as GenerationResult);

            public override int GetHashCode() => Source == null ? 0 : StringComparer.Ordinal.GetHashCode(Source);
        }

        /// <summary>A diagnostic kept as plain data (Location is not value-equal across runs).</summary>
        private sealed class DiagnosticInfo : IEquatable<DiagnosticInfo>
        {
            public DiagnosticInfo(DiagnosticDescriptor descriptor, string? path, int line, string argument)
            {
                Descriptor = descriptor;
                FilePath = path;
                Line = line;
                Argument = argument;
            }

            public DiagnosticDescriptor Descriptor { get; }
            public string? FilePath { get; }
            public int Line { get; }
            public string Argument { get; }

            public Diagnostic ToDiagnostic()
            {
                Location location = Location.None;
                if (FilePath != null)
                {
                    var position = new LinePosition(Math.Max(0, Line - 1), 0);
                    location = Location.Create(FilePath, default, new LinePositionSpan(position, position));
                }

                return Diagnostic.Create(Descriptor, location, Argument);
            }

            public bool Equals(DiagnosticInfo? other) =>
                other != null && other.Descriptor.Id == Descriptor.Id && other.FilePath == FilePath
                && other.Line == Line && other.Argument == Argument;

            public override bool Equals(object? obj) => Equals(obj as DiagnosticInfo);

            public override int GetHashCode() => (Descriptor.Id.GetHashCode() * 31) ^ Line ^ Argument.GetHashCode();
        }
    }
}
