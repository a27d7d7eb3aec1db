using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using NativeGrad.Bindings.Generator;
using NativeGrad.Interop;

namespace NativeGrad.Tests.Interop;

/// <summary>
/// The header, the generated imports and the library's exports must name exactly the same
/// functions: a missing export is a crash at the first call, an extra one is an unbound API.
/// </summary>
public class BindingsAgreementTests
{
    private static readonly HeaderModel Header = HeaderParser.Parse(File.ReadAllText(InteropTestSupport.HeaderPath));

    // Symbols the linker adds to every shared object; not part of the API.
    private static readonly HashSet<string> LinkerSymbols = new(StringComparer.Ordinal)
    {
        "_init", "_fini", "_edata", "_end", "__bss_start",
    };

    private static IEnumerable<MethodInfo> GeneratedImports() =>
        typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() != null);

    [Fact]
    public void HeaderParsesWithoutDiagnostics()
    {
        Assert.Empty(Header.Diagnostics.Select(d => d.ToString()));
        Assert.NotEmpty(Header.Functions);
    }

    [Fact]
    public void GeneratedImportsMatchHeaderFunctions()
    {
        var header = Header.Functions.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var imports = GeneratedImports()
            .Select(m => m.GetCustomAttribute<LibraryImportAttribute>()!.EntryPoint ?? m.Name)
            .ToList();

        Assert.Equal(imports.Count, imports.Distinct(StringComparer.Ordinal).Count());
        AssertSameSet("header", header, "generated [LibraryImport]s", imports.ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryImportHasADirectPInvokeToTheSameEntryPoint()
    {
        // The P/Invoke behind each import is a compiler-generated local function; the runtime
        // reports its pinvokeimpl metadata as a DllImportAttribute.
        var pinvokes = typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            .Select(m => m.GetCustomAttribute<DllImportAttribute>())
            .Where(a => a != null)
            .ToList();

        Assert.All(pinvokes, a => Assert.Equal("nativegrad", a!.Value));
        var pinvokeEntryPoints = pinvokes.Select(a => a!.EntryPoint!).ToHashSet(StringComparer.Ordinal);
        var imports = GeneratedImports().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        AssertSameSet("[LibraryImport]s", imports, "DllImport entry points", pinvokeEntryPoints);
    }

    [Fact]
    public void GeneratedSignaturesMatchTheHeaderTypeMapping()
    {
        var imports = GeneratedImports().ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (HeaderFunction f in Header.Functions)
        {
            MethodInfo m = imports[f.Name];
            Assert.True(TypeName(m.ReturnType) == f.ReturnCsType, $"{f.Name}: returns {TypeName(m.ReturnType)}, header maps to {f.ReturnCsType}");
            ParameterInfo[] parameters = m.GetParameters();
            Assert.True(parameters.Length == f.Parameters.Count, $"{f.Name}: {parameters.Length} parameters, header has {f.Parameters.Count}");
            for (int i = 0; i < parameters.Length; i++)
            {
                string expected = f.Parameters[i].CsType;
                string actual = TypeName(parameters[i].ParameterType);
                if (expected.StartsWith("delegate*", StringComparison.Ordinal))
                {
                    Assert.True(parameters[i].ParameterType.IsFunctionPointer || parameters[i].ParameterType == typeof(nint),
                        $"{f.Name}({f.Parameters[i].CName}): expected a function pointer, got {actual}");
                    continue;
                }

                Assert.True(expected == actual, $"{f.Name}({f.Parameters[i].CName}): generated {actual}, header maps to {expected}");
                Assert.Equal(f.Parameters[i].CName, parameters[i].Name);
            }
        }
    }

    [Fact]
    public void GeneratedEnumsAndConstantsMatchTheHeader()
    {
        Assembly assembly = typeof(NativeMethods).Assembly;
        foreach (HeaderEnum e in Header.Enums)
        {
            Type? type = assembly.GetType("NativeGrad.Interop." + e.CsName);
            Assert.True(type is { IsEnum: true }, $"enum {e.CsName} not generated");
            Assert.Equal(typeof(int), Enum.GetUnderlyingType(type!));
            var values = Enum.GetNames(type!).ToDictionary(n => n, n => Convert.ToInt64(Enum.Parse(type!, n), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(e.Members.Count, values.Count);
            foreach (HeaderEnumMember member in e.Members)
            {
                Assert.Equal(member.Value, values[member.CsName]);
            }
        }

        foreach (HeaderConstant c in Header.Constants)
        {
            FieldInfo? field = typeof(NativeConstants).GetField(c.Name, BindingFlags.Static | BindingFlags.Public);
            Assert.True(field is { IsLiteral: true }, $"constant {c.Name} not generated");
            Assert.Equal(c.Value, Convert.ToString(field!.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [LinuxFact]
    public void LibraryExportsExactlyTheHeaderFunctions()
    {
        string library = InteropTestSupport.PackagedLibraryPath;
        Assert.True(File.Exists(library), "native library missing from the test output: " + library);

        var exports = DynamicSymbols(library).Where(s => !LinkerSymbols.Contains(s)).ToHashSet(StringComparer.Ordinal);
        var header = Header.Functions.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        AssertSameSet("header", header, "exports of " + library, exports);
    }

    /// <summary>Defined dynamic symbols of an ELF shared object, via <c>nm -D --defined-only</c>.</summary>
    private static List<string> DynamicSymbols(string library)
    {
        var start = new ProcessStartInfo("nm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-D");
        start.ArgumentList.Add("--defined-only");
        start.ArgumentList.Add(library);

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start nm (binutils)");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "nm failed: " + stderr.Result);

        // Lines look like "000000000001a2b0 T ng_abi_version"; versioned symbols carry "@VERSION".
        var symbols = new List<string>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 3)
            {
                string name = fields[^1];
                int at = name.IndexOf('@', StringComparison.Ordinal);
                symbols.Add(at > 0 ? name[..at] : name);
            }
        }

        return symbols;
    }

    private static void AssertSameSet(string leftName, HashSet<string> left, string rightName, HashSet<string> right)
    {
        var onlyLeft = left.Except(right).Order(StringComparer.Ordinal).ToList();
        var onlyRight = right.Except(left).Order(StringComparer.Ordinal).ToList();
        Assert.True(onlyLeft.Count == 0 && onlyRight.Count == 0,
            $"only in {leftName}: [{string.Join(", ", onlyLeft)}]; only in {rightName}: [{string.Join(", ", onlyRight)}]");
    }

    /// <summary>The C# spelling of a reflected type, in the parser's notation (int, nint*, NgStatus, byte*).</summary>
    private static string TypeName(Type type)
    {
        if (type.IsPointer)
        {
            return TypeName(type.GetElementType()!) + "*";
        }

        if (type == typeof(void)) return "void";
        if (type == typeof(sbyte)) return "sbyte";
        if (type == typeof(byte)) return "byte";
        if (type == typeof(short)) return "short";
        if (type == typeof(ushort)) return "ushort";
        if (type == typeof(int)) return "int";
        if (type == typeof(uint)) return "uint";
        if (type == typeof(long)) return "long";
        if (type == typeof(ulong)) return "ulong";
        if (type == typeof(float)) return "float";
        if (type == typeof(double)) return "double";
        if (type == typeof(nint)) return "nint";
        return type.Name;
    }
}
