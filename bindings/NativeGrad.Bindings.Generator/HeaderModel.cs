// The parsed form of nativegrad.h: plain data, already mapped to C# types, shared by the source
// generator and (compile-linked) by the test project so both read the header the same way.
using System.Collections.Generic;

namespace NativeGrad.Bindings.Generator
{
    /// <summary>Everything the header declares that the bindings need, plus the problems found.</summary>
    internal sealed class HeaderModel
    {
        public List<HeaderConstant> Constants { get; } = new List<HeaderConstant>();
        public List<HeaderEnum> Enums { get; } = new List<HeaderEnum>();
        public List<HeaderCallback> Callbacks { get; } = new List<HeaderCallback>();
        public List<HeaderFunction> Functions { get; } = new List<HeaderFunction>();

        /// <summary>Typedef names of opaque structs (handles), e.g. <c>ng_tensor</c>.</summary>
        public List<string> OpaqueTypes { get; } = new List<string>();

        public List<HeaderDiagnostic> Diagnostics { get; } = new List<HeaderDiagnostic>();

        public bool HasErrors => Diagnostics.Count > 0;
    }

    /// <summary><c>#define NG_NAME value</c> with an integer value.</summary>
    internal sealed class HeaderConstant
    {
        public HeaderConstant(string name, string csType, string value, int line)
        {
            Name = name;
            CsType = csType;
            Value = value;
            Line = line;
        }

        public string Name { get; }

        /// <summary><c>int</c>, <c>long</c> or <c>ulong</c>: the smallest that holds the value.</summary>
        public string CsType { get; }

        /// <summary>The value as a decimal C# literal.</summary>
        public string Value { get; }

        public int Line { get; }
    }

    internal sealed class HeaderEnum
    {
        public HeaderEnum(string cName, string csName, int line)
        {
            CName = cName;
            CsName = csName;
            Line = line;
        }

        public string CName { get; }
        public string CsName { get; }
        public int Line { get; }
        public List<HeaderEnumMember> Members { get; } = new List<HeaderEnumMember>();
    }

    internal sealed class HeaderEnumMember
    {
        public HeaderEnumMember(string cName, string csName, long value)
        {
            CName = cName;
            CsName = csName;
            Value = value;
        }

        public string CName { get; }
        public string CsName { get; }
        public long Value { get; }
    }

    /// <summary><c>typedef R (*ng_x_fn)(...)</c>: travels as an unmanaged function pointer.</summary>
    internal sealed class HeaderCallback
    {
        public HeaderCallback(string cName, string csType, int line)
        {
            CName = cName;
            CsType = csType;
            Line = line;
        }

        public string CName { get; }

        /// <summary>The C# function pointer type, e.g. <c>delegate* unmanaged[Cdecl]&lt;nint, void*, NgStatus&gt;</c>.</summary>
        public string CsType { get; }

        public int Line { get; }
    }

    internal sealed class HeaderFunction
    {
        public HeaderFunction(string name, string returnCType, string returnCsType, int line, string declaration)
        {
            Name = name;
            ReturnCType = returnCType;
            ReturnCsType = returnCsType;
            Line = line;
            Declaration = declaration;
        }

        public string Name { get; }
        public string ReturnCType { get; }
        public string ReturnCsType { get; }
        public int Line { get; }

        /// <summary>The C declaration on one line (whitespace normalised), for doc comments.</summary>
        public string Declaration { get; }

        public List<HeaderParameter> Parameters { get; } = new List<HeaderParameter>();
    }

    internal sealed class HeaderParameter
    {
        public HeaderParameter(string cType, string csType, string cName, string csName)
        {
            CType = cType;
            CsType = csType;
            CName = cName;
            CsName = csName;
        }

        public string CType { get; }
        public string CsType { get; }
        public string CName { get; }

        /// <summary>The C name, escaped with <c>@</c> when it is a C# keyword (<c>out</c> → <c>@out</c>).</summary>
        public string CsName { get; }
    }

    /// <summary>A declaration the parser could not map; always an error for the build.</summary>
    internal sealed class HeaderDiagnostic
    {
        public HeaderDiagnostic(int line, string message)
        {
            Line = line;
            Message = message;
        }

        /// <summary>1-based line in the header.</summary>
        public int Line { get; }

        public string Message { get; }

        public override string ToString() => "line " + Line + ": " + Message;
    }
}
