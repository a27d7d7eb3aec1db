using NativeGrad.Bindings.Generator;

namespace NativeGrad.Tests.Interop;

/// <summary>The header parser on small synthetic headers: every mapping, and every way to fail.</summary>
public class HeaderParserTests
{
    // Declarations every synthetic header below can use.
    private const string Prelude =
        "#include <stdint.h>\n" +
        "typedef struct ng_tensor ng_tensor;\n" +
        "typedef struct ng_node ng_node;\n" +
        "typedef enum ng_status { NG_STATUS_OK = 0, NG_STATUS_INVALID_ARGUMENT = 1 } ng_status;\n" +
        "typedef enum ng_dtype { NG_DTYPE_FLOAT32 = 0, NG_DTYPE_INT64 = 2 } ng_dtype;\n" +
        "typedef ng_status (*ng_hook_fn)(ng_tensor* grad, void* context);\n";

    private static readonly int PreludeLines = Prelude.Count(c => c == '\n');

    private static HeaderModel ParseOk(string body)
    {
        HeaderModel model = HeaderParser.Parse(Prelude + body);
        Assert.Empty(model.Diagnostics.Select(d => d.ToString()));
        return model;
    }

    private static HeaderDiagnostic ParseError(string body)
    {
        HeaderModel model = HeaderParser.Parse(Prelude + body);
        Assert.NotEmpty(model.Diagnostics);
        return model.Diagnostics[0];
    }

    [Theory]
    [InlineData("int32_t", "int")]
    [InlineData("int64_t", "long")]
    [InlineData("uint32_t", "uint")]
    [InlineData("uint64_t", "ulong")]
    [InlineData("uint8_t", "byte")]
    [InlineData("float", "float")]
    [InlineData("double", "double")]
    [InlineData("int32_t*", "int*")]
    [InlineData("int64_t *", "long*")]
    [InlineData("const int64_t*", "long*")]
    [InlineData("int64_t const*", "long*")]
    [InlineData("double**", "double**")]
    [InlineData("uint8_t*", "byte*")]
    [InlineData("const char*", "byte*")]
    [InlineData("char*", "byte*")]
    [InlineData("void*", "void*")]
    [InlineData("const void*", "void*")]
    [InlineData("ng_tensor*", "nint")]
    [InlineData("const ng_tensor*", "nint")]
    [InlineData("struct ng_tensor*", "nint")]
    [InlineData("ng_node*", "nint")]
    [InlineData("ng_tensor**", "nint*")]
    [InlineData("ng_tensor* const*", "nint*")]
    [InlineData("const ng_tensor* const*", "nint*")]
    [InlineData("const ng_tensor * const *", "nint*")]
    [InlineData("ng_dtype", "NgDtype")]
    [InlineData("ng_dtype*", "NgDtype*")]
    [InlineData("ng_status", "NgStatus")]
    [InlineData("ng_hook_fn", "delegate* unmanaged[Cdecl]<nint, void*, NgStatus>")]
    public void ParameterTypesMap(string cType, string csType)
    {
        HeaderModel model = ParseOk($"NG_API ng_status ng_f({cType} value);\n");
        HeaderFunction f = Assert.Single(model.Functions);
        HeaderParameter p = Assert.Single(f.Parameters);
        Assert.Equal(csType, p.CsType);
        Assert.Equal("value", p.CName);
    }

    [Theory]
    [InlineData("void", "void")]
    [InlineData("int32_t", "int")]
    [InlineData("int64_t", "long")]
    [InlineData("uint64_t", "ulong")]
    [InlineData("double", "double")]
    [InlineData("const char*", "byte*")]
    [InlineData("const char *", "byte*")]
    [InlineData("ng_status", "NgStatus")]
    [InlineData("ng_tensor*", "nint")]
    [InlineData("void*", "void*")]
    public void ReturnTypesMap(string cType, string csType)
    {
        HeaderFunction f = Assert.Single(ParseOk($"NG_API {cType} ng_f(void);\n").Functions);
        Assert.Equal(csType, f.ReturnCsType);
        Assert.Equal("ng_f", f.Name);
        Assert.Empty(f.Parameters);
    }

    [Fact]
    public void ParametersKeepOrderAndNamesAndEscapeCSharpKeywords()
    {
        HeaderFunction f = Assert.Single(ParseOk(
            "NG_API ng_status ng_tensor_sum(const ng_tensor* in, const int64_t* dims, int32_t ndims, uint8_t keepdim, ng_tensor** out);\n").Functions);
        Assert.Equal(new[] { "in", "dims", "ndims", "keepdim", "out" }, f.Parameters.Select(p => p.CName));
        Assert.Equal(new[] { "@in", "dims", "ndims", "keepdim", "@out" }, f.Parameters.Select(p => p.CsName));
        Assert.Equal(new[] { "nint", "long*", "int", "byte", "nint*" }, f.Parameters.Select(p => p.CsType));
        Assert.Equal(PreludeLines + 1, f.Line);
    }

    [Fact]
    public void EnumsArePascalCasedWithoutTheirPrefix()
    {
        HeaderModel model = ParseOk(
            "typedef enum ng_reduce_op {\n" +
            "    NG_REDUCE_OP_SUM = 0,\n" +
            "    NG_REDUCE_OP_LOG_SUM_EXP = 0x10, /* hex */\n" +
            "    NG_REDUCE_OP_NEGATIVE = -3,\n" +
            "    NG_REDUCE_OP_FLOAT32 = 7,\n" +
            "} ng_reduce_op;\n");
        HeaderEnum e = model.Enums.Single(x => x.CName == "ng_reduce_op");
        Assert.Equal("NgReduceOp", e.CsName);
        Assert.Equal(new[] { "Sum", "LogSumExp", "Negative", "Float32" }, e.Members.Select(m => m.CsName));
        Assert.Equal(new long[] { 0, 16, -3, 7 }, e.Members.Select(m => m.Value));

        HeaderEnum status = model.Enums.Single(x => x.CName == "ng_status");
        Assert.Equal("NgStatus", status.CsName);
        Assert.Equal(new[] { "Ok", "InvalidArgument" }, status.Members.Select(m => m.CsName));
    }

    [Fact]
    public void DefinesBecomeConstantsOfTheSmallestFittingType()
    {
        HeaderModel model = ParseOk(
            "#define NG_ABI_VERSION 3\n" +
            "#define NG_MAX_RANK (12)\n" +
            "#define NG_BIG 5000000000LL\n" +
            "#define NG_HEX 0xFF\n" +
            "#define NG_OCTAL 010\n" +
            "#define NG_NEGATIVE -2\n" +
            "#define NG_HUGE 18446744073709551615ULL\n" +
            "#define NG_LONG_DEFINE \\\n   42\n");
        var constants = model.Constants.ToDictionary(c => c.Name, c => (c.CsType, c.Value));
        Assert.Equal(("int", "3"), constants["NG_ABI_VERSION"]);
        Assert.Equal(("int", "12"), constants["NG_MAX_RANK"]);
        Assert.Equal(("long", "5000000000"), constants["NG_BIG"]);
        Assert.Equal(("int", "255"), constants["NG_HEX"]);
        Assert.Equal(("int", "8"), constants["NG_OCTAL"]);
        Assert.Equal(("int", "-2"), constants["NG_NEGATIVE"]);
        Assert.Equal(("ulong", "18446744073709551615"), constants["NG_HUGE"]);
        Assert.Equal(("int", "42"), constants["NG_LONG_DEFINE"]);
        Assert.Equal(8, model.Constants.Count);
    }

    [Fact]
    public void CallbacksBecomeUnmanagedFunctionPointers()
    {
        HeaderModel model = ParseOk(
            "typedef void (*ng_release_fn)(void* context);\n" +
            "typedef int32_t (* ng_unnamed_fn)(int64_t, const ng_tensor*, double);\n" +
            "typedef ng_status (*ng_nested_fn)(ng_hook_fn hook, ng_dtype dtype);\n" +
            "NG_API ng_status ng_tensor_register_hook(ng_tensor* t, ng_hook_fn hook, void* context, ng_release_fn release, int64_t* out_id);\n");
        var callbacks = model.Callbacks.ToDictionary(c => c.CName, c => c.CsType);
        Assert.Equal("delegate* unmanaged[Cdecl]<nint, void*, NgStatus>", callbacks["ng_hook_fn"]);
        Assert.Equal("delegate* unmanaged[Cdecl]<void*, void>", callbacks["ng_release_fn"]);
        Assert.Equal("delegate* unmanaged[Cdecl]<long, nint, double, int>", callbacks["ng_unnamed_fn"]);
        Assert.Equal("delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<nint, void*, NgStatus>, NgDtype, NgStatus>", callbacks["ng_nested_fn"]);

        HeaderFunction f = Assert.Single(model.Functions);
        Assert.Equal(
            new[] { "nint", "delegate* unmanaged[Cdecl]<nint, void*, NgStatus>", "void*", "delegate* unmanaged[Cdecl]<void*, void>", "long*" },
            f.Parameters.Select(p => p.CsType));
    }

    [Fact]
    public void CommentsAreIgnoredWhereverTheyAre()
    {
        HeaderModel model = ParseOk(
            "/* NG_API ng_status ng_commented_out(void);\n" +
            "   still a comment; with semicolons; */\n" +
            "// NG_API ng_status ng_line_comment(void);\n" +
            "NG_API /* inline */ ng_status ng_a(int32_t x /* the x */, // trailing\n" +
            "    int64_t y); // after\n" +
            "#define NG_WITH_COMMENT 5 /* five */ // really\n" +
            "NG_API const char* ng_b(void); /* a \"quoted\" // comment */\n");
        Assert.Equal(new[] { "ng_a", "ng_b" }, model.Functions.Select(f => f.Name));
        Assert.Equal(new[] { "x", "y" }, model.Functions[0].Parameters.Select(p => p.CName));
        Assert.Equal("5", model.Constants.Single(c => c.Name == "NG_WITH_COMMENT").Value);
    }

    [Fact]
    public void MultiLineDeclarationsReportTheirFirstLine()
    {
        HeaderModel model = ParseOk(
            "\n" +
            "NG_API ng_status\n" +
            "ng_conv2d(const ng_tensor* input,\n" +
            "          const ng_tensor* weight,\n" +
            "          const int64_t* stride,\n" +
            "          ng_tensor** out);\n");
        HeaderFunction f = Assert.Single(model.Functions);
        Assert.Equal("ng_conv2d", f.Name);
        Assert.Equal(4, f.Parameters.Count);
        Assert.Equal(PreludeLines + 2, f.Line);
    }

    [Fact]
    public void ExportMacroBlocksAndExternCGuardsAreIgnored()
    {
        HeaderModel model = ParseOk(
            "#ifndef NATIVEGRAD_H\n" +
            "#define NATIVEGRAD_H\n" +
            "#if defined(_WIN32)\n" +
            "#  if defined(NG_BUILDING_LIBRARY)\n" +
            "#    define NG_API __declspec(dllexport)\n" +
            "#  else\n" +
            "#    define NG_API __declspec(dllimport)\n" +
            "#  endif\n" +
            "#else\n" +
            "#  define NG_API __attribute__((visibility(\"default\")))\n" +
            "#endif\n" +
            "#ifdef __cplusplus\n" +
            "extern \"C\" {\n" +
            "#endif\n" +
            "NG_API int32_t ng_abi_version(void);\n" +
            "#ifdef __cplusplus\n" +
            "}\n" +
            "#endif\n" +
            "#endif /* NATIVEGRAD_H */\n");
        Assert.Equal("ng_abi_version", Assert.Single(model.Functions).Name);
        Assert.Empty(model.Constants);
    }

    [Fact]
    public void CplusplusElseBranchIsKept()
    {
        HeaderModel model = ParseOk(
            "#if defined(__cplusplus)\n" +
            "NG_API cpp_only_type ng_cpp(void);\n" +
            "#else\n" +
            "NG_API int32_t ng_c(void);\n" +
            "#endif\n");
        Assert.Equal("ng_c", Assert.Single(model.Functions).Name);
    }

    [Theory]
    [InlineData("NG_API ng_status ng_bad(size_t n);", "size_t")]
    [InlineData("NG_API ng_status ng_bad(unsigned int n);", "unsigned int")]
    [InlineData("NG_API ng_status ng_bad(int32_t values[]);", "values[]")]
    [InlineData("NG_API ng_status ng_bad(const char* fmt, ...);", "...")]
    [InlineData("NG_API ng_status ng_bad(ng_unknown* x);", "ng_unknown")]
    [InlineData("NG_API ng_status ng_bad(ng_tensor t);", "by pointer")]
    [InlineData("NG_API ng_status ng_bad(char c);", "char")]
    [InlineData("NG_API ng_status ng_bad();", "(void)")]
    [InlineData("NG_API ng_status ng_bad(void (*cb)(void));", "ng_bad")]
    [InlineData("NG_API bool ng_bad(void);", "bool")]
    [InlineData("int32_t ng_not_exported(void);", "NG_API")]
    [InlineData("typedef int64_t ng_size;", "typedef")]
    [InlineData("typedef struct ng_point { int32_t x; } ng_point;", "opaque")]
    [InlineData("typedef enum ng_e { NG_E_A } ng_e;", "explicit value")]
    [InlineData("typedef enum ng_e { NG_OTHER_A = 1 } ng_e;", "prefixed with NG_E_")]
    [InlineData("typedef enum ng_e { NG_E_A = 1 + 2 } ng_e;", "integer literal")]
    [InlineData("#define NG_RATIO 0.5", "integer value")]
    [InlineData("#define NG_SQUARE(x) ((x) * (x))", "function-like")]
    [InlineData("NG_API ng_status ng_missing_semicolon(void)", "not terminated")]
    [InlineData("NG_API ng_status ng_dup(void); NG_API ng_status ng_dup(void);", "declared twice")]
    [InlineData("}", "unbalanced")]
    public void MalformedDeclarationsAreDiagnosticsWithTheirLine(string declaration, string expectedFragment)
    {
        HeaderDiagnostic d = ParseError("\n" + declaration + "\n");
        Assert.Contains(expectedFragment, d.Message, StringComparison.Ordinal);
        Assert.Equal(PreludeLines + 2, d.Line);
    }

    [Fact]
    public void ABadDeclarationDoesNotHideTheOthers()
    {
        HeaderModel model = HeaderParser.Parse(Prelude +
            "NG_API ng_status ng_good1(void);\n" +
            "NG_API ng_status ng_bad(size_t n);\n" +
            "NG_API ng_status ng_good2(void);\n");
        Assert.Equal(new[] { "ng_good1", "ng_good2" }, model.Functions.Select(f => f.Name));
        HeaderDiagnostic d = Assert.Single(model.Diagnostics);
        Assert.Equal(PreludeLines + 2, d.Line);
        Assert.Contains("ng_bad", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnterminatedCommentIsADiagnostic()
    {
        HeaderDiagnostic d = ParseError("/* never closed\nNG_API int32_t ng_x(void);\n");
        Assert.Contains("unterminated", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmitterWritesOneImportPerFunctionAndTheAssemblyAttributeOnce()
    {
        HeaderModel model = ParseOk(
            "#define NG_ABI_VERSION 1\n" +
            "NG_API ng_status ng_get_num_threads(int32_t* out);\n" +
            "NG_API void ng_tensor_release(ng_tensor* t);\n");
        string source = BindingsEmitter.Emit(model, "test.h");

        Assert.Single(System.Text.RegularExpressions.Regex.Matches(source, "DisableRuntimeMarshalling"));
        Assert.Contains("namespace NativeGrad.Interop", source, StringComparison.Ordinal);
        Assert.Contains("internal static unsafe partial class NativeMethods", source, StringComparison.Ordinal);
        Assert.Contains("LibraryImport(LibraryName, EntryPoint = \"ng_get_num_threads\")]", source, StringComparison.Ordinal);
        Assert.Contains("internal static partial NgStatus ng_get_num_threads(int* @out);", source, StringComparison.Ordinal);
        Assert.Contains("internal static partial void ng_tensor_release(nint t);", source, StringComparison.Ordinal);
        Assert.Contains("internal enum NgStatus : int", source, StringComparison.Ordinal);
        Assert.Contains("public const int NG_ABI_VERSION = 1;", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ng_status", "NgStatus")]
    [InlineData("ng_unary_op", "NgUnaryOp")]
    [InlineData("OUT_OF_MEMORY", "OutOfMemory")]
    [InlineData("FLOAT32", "Float32")]
    [InlineData("INT64", "Int64")]
    public void PascalCase(string c, string cs) => Assert.Equal(cs, HeaderParser.PascalCase(c));
}
