// Reads nativegrad.h — a deliberately regular C header (see the format rules at its top) — into a
// HeaderModel with every C type already mapped to its blittable C# twin.
//
// This is not a C parser. It understands exactly the declaration shapes the header's format rules
// allow and reports everything else as a diagnostic naming the line, so a declaration can never be
// silently left out of the bindings. Compiled into the source generator and, linked, into the
// test project (which checks the header, the generated code and the library's exports agree).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NativeGrad.Bindings.Generator
{
    internal static class HeaderParser
    {
        /// <summary>The export macro every function declaration starts with.</summary>
        public const string ExportMacro = "NG_API";

        private static readonly Dictionary<string, string> Scalars = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["int8_t"] = "sbyte",
            ["uint8_t"] = "byte",
            ["int16_t"] = "short",
            ["uint16_t"] = "ushort",
            ["int32_t"] = "int",
            ["uint32_t"] = "uint",
            ["int64_t"] = "long",
            ["uint64_t"] = "ulong",
            ["float"] = "float",
            ["double"] = "double",
        };

        // C# keywords a C parameter name may collide with; such names are emitted as @name.
        private static readonly HashSet<string> CSharpKeywords = new HashSet<string>(StringComparer.Ordinal)
        {
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class",
            "const", "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event",
            "explicit", "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if",
            "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new", "null",
            "object", "operator", "out", "override", "params", "private", "protected", "public", "readonly",
            "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct",
            "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
            "using", "virtual", "void", "volatile", "while",
        };

        private static readonly Regex Identifier = new Regex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);

        private static readonly Regex OpaqueTypedef = new Regex(
            @"^typedef\s+struct\s+(?<tag>[A-Za-z_]\w*)\s+(?<name>[A-Za-z_]\w*)$", RegexOptions.CultureInvariant);

        private static readonly Regex EnumTypedef = new Regex(
            @"^typedef\s+enum\s*(?<tag>[A-Za-z_]\w*)?\s*\{(?<body>[^{}]*)\}\s*(?<name>[A-Za-z_]\w*)$",
            RegexOptions.CultureInvariant | RegexOptions.Singleline);

        private static readonly Regex CallbackTypedef = new Regex(
            @"^typedef\s+(?<ret>[^()]+?)\s*\(\s*\*\s*(?<name>[A-Za-z_]\w*)\s*\)\s*\((?<params>[^()]*)\)$",
            RegexOptions.CultureInvariant);

        private static readonly Regex FunctionDecl = new Regex(
            @"^NG_API\s+(?<ret>[^()]*?[\s*])(?<name>[A-Za-z_]\w*)\s*\((?<params>[^()]*)\)$",
            RegexOptions.CultureInvariant);

        private static readonly Regex Define = new Regex(
            @"^#\s*define\s+(?<name>[A-Za-z_]\w*)(?<fn>\()?(?<value>.*)$",
            RegexOptions.CultureInvariant | RegexOptions.Singleline);

        private static readonly Regex Directive = new Regex(@"^#\s*(?<name>[A-Za-z_]\w*)?(?<rest>.*)$",
            RegexOptions.CultureInvariant | RegexOptions.Singleline);

        /// <summary>Parses the header text. Never throws; problems end up in <see cref="HeaderModel.Diagnostics"/>.</summary>
        public static HeaderModel Parse(string text)
        {
            var model = new HeaderModel();
            try
            {
                var state = new ParserState(model);
                string stripped = StripComments(text, model);
                string code = RemovePreprocessor(stripped, state);
                ParseDeclarations(code, state);
            }
            catch (Exception e)
            {
                // A parser bug must surface as a build error, not crash the compiler host.
                model.Diagnostics.Add(new HeaderDiagnostic(1, "internal error in the bindings parser: " + e.Message));
            }

            return model;
        }

        // ---- pass 1: comments ------------------------------------------------------------------

        /// <summary>
        /// Replaces comments by spaces (newlines kept), so offsets and line numbers stay those of the
        /// original file. String literals are skipped so "//" inside them is not a comment.
        /// </summary>
        internal static string StripComments(string text, HeaderModel model)
        {
            var sb = new StringBuilder(text);
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (c == '"' || c == '\'')
                {
                    int j = i + 1;
                    while (j < text.Length && text[j] != c && text[j] != '\n')
                    {
                        j += text[j] == '\\' ? 2 : 1;
                    }

                    i = j + 1;
                }
                else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        sb[i++] = ' ';
                    }
                }
                else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
                {
                    int start = i;
                    int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    if (end < 0)
                    {
                        model.Diagnostics.Add(new HeaderDiagnostic(LineOf(text, start), "unterminated /* comment"));
                        end = text.Length - 2;
                    }

                    for (; i < end + 2 && i < text.Length; i++)
                    {
                        if (text[i] != '\n' && text[i] != '\r')
                        {
                            sb[i] = ' ';
                        }
                    }
                }
                else
                {
                    i++;
                }
            }

            return sb.ToString();
        }

        // ---- pass 2: preprocessor ---------------------------------------------------------------

        private sealed class Conditional
        {
            public bool ParentSkipped;
            public bool IsCplusplus; // the condition tests __cplusplus
            public bool Skipped;     // the current branch is dropped
        }

        /// <summary>
        /// Handles directives line by line and blanks them out of the code. Conditionals are not
        /// evaluated — every branch is read — except those testing <c>__cplusplus</c>, whose C++-only
        /// branch (the <c>extern "C"</c> guard) is dropped. Integer <c>#define</c>s become constants.
        /// </summary>
        private static string RemovePreprocessor(string text, ParserState state)
        {
            var sb = new StringBuilder(text);
            var stack = new List<Conditional>();
            int lineStart = 0;
            int lineNumber = 1;
            while (lineStart < text.Length)
            {
                // A logical line: physical lines joined by trailing backslashes.
                int lineEnd = text.IndexOf('\n', lineStart);
                if (lineEnd < 0)
                {
                    lineEnd = text.Length;
                }

                int firstLine = lineNumber;
                string trimmed = text.Substring(lineStart, lineEnd - lineStart).Trim();
                bool isDirective = trimmed.Length > 0 && trimmed[0] == '#';
                var logical = new StringBuilder(trimmed);
                int logicalEnd = lineEnd;
                while (isDirective && logical.Length > 0 && logical[logical.Length - 1] == '\\' && logicalEnd < text.Length)
                {
                    logical.Length--;
                    int nextStart = logicalEnd + 1;
                    int nextEnd = text.IndexOf('\n', nextStart);
                    if (nextEnd < 0)
                    {
                        nextEnd = text.Length;
                    }

                    logical.Append(' ').Append(text.Substring(nextStart, nextEnd - nextStart).Trim());
                    logicalEnd = nextEnd;
                    lineNumber++;
                }

                bool skipped = stack.Count > 0 && stack[stack.Count - 1].Skipped;
                if (isDirective)
                {
                    HandleDirective(logical.ToString(), firstLine, stack, skipped, state);
                }

                if (isDirective || skipped)
                {
                    for (int k = lineStart; k < logicalEnd; k++)
                    {
                        if (sb[k] != '\r')
                        {
                            sb[k] = ' ';
                        }
                    }
                }

                lineStart = logicalEnd + 1;
                lineNumber++;
            }

            if (stack.Count > 0)
            {
                state.Error(lineNumber - 1, "#if without matching #endif");
            }

            return sb.ToString();
        }

        private static void HandleDirective(string line, int lineNumber, List<Conditional> stack, bool skipped, ParserState state)
        {
            Match m = Directive.Match(line);
            string name = m.Groups["name"].Value;
            string rest = m.Groups["rest"].Value.Trim();
            switch (name)
            {
                case "if":
                case "ifdef":
                case "ifndef":
                    {
                        bool cplusplus = rest.IndexOf("__cplusplus", StringComparison.Ordinal) >= 0;
                        bool negated = name == "ifndef" || rest.StartsWith("!", StringComparison.Ordinal);
                        stack.Add(new Conditional
                        {
                            ParentSkipped = skipped,
                            IsCplusplus = cplusplus,
                            Skipped = skipped || (cplusplus && !negated),
                        });
                        return;
                    }

                case "elif":
                case "else":
                    if (stack.Count == 0)
                    {
                        state.Error(lineNumber, "#" + name + " without #if");
                        return;
                    }

                    {
                        Conditional top = stack[stack.Count - 1];
                        if (top.IsCplusplus)
                        {
                            top.Skipped = top.ParentSkipped || !top.Skipped;
                        }
                    }

                    return;

                case "endif":
                    if (stack.Count == 0)
                    {
                        state.Error(lineNumber, "#endif without #if");
                    }
                    else
                    {
                        stack.RemoveAt(stack.Count - 1);
                    }

                    return;

                case "include":
                case "pragma":
                case "undef":
                case "error":
                case "warning":
                case "line":
                    return;

                case "define":
                    if (!skipped)
                    {
                        HandleDefine(line, lineNumber, state);
                    }

                    return;

                default:
                    if (!skipped)
                    {
                        state.Error(lineNumber, "unsupported preprocessor directive: " + line);
                    }

                    return;
            }
        }

        private static void HandleDefine(string line, int lineNumber, ParserState state)
        {
            Match m = Define.Match(line);
            if (!m.Success)
            {
                state.Error(lineNumber, "cannot parse #define: " + line);
                return;
            }

            string name = m.Groups["name"].Value;
            string value = m.Groups["value"].Value.Trim();
            if (name == ExportMacro || (value.Length == 0 && !m.Groups["fn"].Success))
            {
                return; // the export macro (platform-specific), or an include guard / feature flag
            }

            if (m.Groups["fn"].Success)
            {
                state.Error(lineNumber, "function-like macro " + name + " is not allowed in the header (constants are #define NG_NAME <integer>)");
                return;
            }

            if (!TryParseInteger(value, out string csType, out string literal))
            {
                state.Error(lineNumber, "#define " + name + " must have an integer value, found '" + value + "'");
                return;
            }

            foreach (HeaderConstant existing in state.Model.Constants)
            {
                if (existing.Name == name)
                {
                    if (existing.Value != literal)
                    {
                        state.Error(lineNumber, "constant " + name + " defined twice with different values");
                    }

                    return;
                }
            }

            state.Model.Constants.Add(new HeaderConstant(name, csType, literal, lineNumber));
        }

        /// <summary>
        /// Parses a C integer literal (decimal, hex, octal; optional sign, parentheses and u/l suffixes)
        /// and picks the smallest of int/long/ulong that holds it.
        /// </summary>
        internal static bool TryParseInteger(string text, out string csType, out string literal)
        {
            csType = "int";
            literal = "0";
            string s = text.Trim();
            while (s.Length >= 2 && s[0] == '(' && s[s.Length - 1] == ')')
            {
                s = s.Substring(1, s.Length - 2).Trim();
            }

            bool negative = false;
            if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
            {
                negative = s[0] == '-';
                s = s.Substring(1).Trim();
            }

            while (s.Length > 0 && "uUlL".IndexOf(s[s.Length - 1]) >= 0)
            {
                s = s.Substring(0, s.Length - 1);
            }

            if (s.Length == 0)
            {
                return false;
            }

            ulong magnitude;
            bool ok;
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                ok = ulong.TryParse(s.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out magnitude)
                    && s.Length > 2;
            }
            else if (s.Length > 1 && s[0] == '0')
            {
                ok = true;
                magnitude = 0;
                foreach (char c in s)
                {
                    if (c < '0' || c > '7' || magnitude > (ulong.MaxValue >> 3))
                    {
                        ok = false;
                        break;
                    }

                    magnitude = (magnitude << 3) + (uint)(c - '0');
                }
            }
            else
            {
                ok = ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out magnitude);
            }

            if (!ok)
            {
                return false;
            }

            if (negative)
            {
                if (magnitude > 1UL + long.MaxValue)
                {
                    return false;
                }

                long v = magnitude == 1UL + long.MaxValue ? long.MinValue : -(long)magnitude;
                csType = v >= int.MinValue ? "int" : "long";
                literal = v.ToString(CultureInfo.InvariantCulture);
                return true;
            }

            csType = magnitude <= int.MaxValue ? "int" : magnitude <= long.MaxValue ? "long" : "ulong";
            literal = magnitude.ToString(CultureInfo.InvariantCulture);
            return true;
        }

        // ---- pass 3: declarations ---------------------------------------------------------------

        private sealed class ParserState
        {
            public ParserState(HeaderModel model) => Model = model;

            public HeaderModel Model { get; }

            // C type name → C# type, for every type the header has declared so far.
            public Dictionary<string, TypeInfo> Types { get; } = new Dictionary<string, TypeInfo>(StringComparer.Ordinal);

            public HashSet<string> FunctionNames { get; } = new HashSet<string>(StringComparer.Ordinal);

            public void Error(int line, string message) => Model.Diagnostics.Add(new HeaderDiagnostic(line, message));
        }

        private enum TypeKind
        {
            Opaque,
            Enum,
            Callback,
        }

        private sealed class TypeInfo
        {
            public TypeInfo(TypeKind kind, string csName)
            {
                Kind = kind;
                CsName = csName;
            }

            public TypeKind Kind { get; }
            public string CsName { get; }
        }

        private static void ParseDeclarations(string code, ParserState state)
        {
            int depthBrace = 0;
            int start = 0;
            for (int i = 0; i < code.Length; i++)
            {
                char c = code[i];
                if (c == '{')
                {
                    depthBrace++;
                }
                else if (c == '}')
                {
                    if (depthBrace == 0)
                    {
                        state.Error(LineOf(code, i), "unbalanced '}'");
                        start = i + 1;
                        continue;
                    }

                    depthBrace--;
                }
                else if (c == ';' && depthBrace == 0)
                {
                    ParseStatement(code, start, i, state);
                    start = i + 1;
                }
            }

            int tail = SkipWhitespace(code, start);
            if (tail < code.Length)
            {
                state.Error(LineOf(code, tail), "declaration not terminated by ';': " + Normalize(code.Substring(tail)));
            }
        }

        private static void ParseStatement(string code, int start, int end, ParserState state)
        {
            int first = SkipWhitespace(code, start);
            if (first >= end)
            {
                return; // stray ';'
            }

            int line = LineOf(code, first);
            string statement = Normalize(code.Substring(first, end - first));

            Match m;
            if (statement.StartsWith("typedef struct", StringComparison.Ordinal))
            {
                m = OpaqueTypedef.Match(statement);
                if (!m.Success)
                {
                    state.Error(line, "only opaque handles are allowed (typedef struct ng_x ng_x;), found: " + statement);
                    return;
                }

                string name = m.Groups["name"].Value;
                AddType(state, line, name, new TypeInfo(TypeKind.Opaque, "nint"));
                AddType(state, line, "struct " + m.Groups["tag"].Value, new TypeInfo(TypeKind.Opaque, "nint"));
                state.Model.OpaqueTypes.Add(name);
                return;
            }

            if (statement.StartsWith("typedef enum", StringComparison.Ordinal))
            {
                m = EnumTypedef.Match(statement);
                if (!m.Success)
                {
                    state.Error(line, "cannot parse enum (expected typedef enum ng_x { NG_X_VALUE = n, ... } ng_x;): " + statement);
                    return;
                }

                ParseEnum(m, line, state);
                return;
            }

            if (statement.StartsWith("typedef", StringComparison.Ordinal))
            {
                m = CallbackTypedef.Match(statement);
                if (!m.Success)
                {
                    state.Error(line, "unsupported typedef (allowed: opaque structs, enums, callbacks typedef R (*ng_x_fn)(...)): " + statement);
                    return;
                }

                ParseCallback(m, line, state);
                return;
            }

            if (statement.StartsWith(ExportMacro + " ", StringComparison.Ordinal))
            {
                m = FunctionDecl.Match(statement);
                if (!m.Success)
                {
                    state.Error(line, "cannot parse function declaration (expected NG_API <type> ng_name(<type> name, ...)): " + statement);
                    return;
                }

                ParseFunction(m, line, statement, state);
                return;
            }

            state.Error(line, "unrecognised declaration (functions must start with " + ExportMacro + "): " + statement);
        }

        private static void AddType(ParserState state, int line, string name, TypeInfo info)
        {
            if (Scalars.ContainsKey(name) || name == "void" || name == "char")
            {
                state.Error(line, "'" + name + "' cannot be redefined");
                return;
            }

            if (state.Types.TryGetValue(name, out TypeInfo? existing) && existing != null && (existing.Kind != info.Kind || existing.CsName != info.CsName))
            {
                state.Error(line, "type '" + name + "' is declared twice");
                return;
            }

            state.Types[name] = info;
        }

        private static void ParseEnum(Match m, int line, ParserState state)
        {
            string name = m.Groups["name"].Value;
            string tag = m.Groups["tag"].Value;
            if (tag.Length > 0 && tag != name)
            {
                state.Error(line, "enum tag '" + tag + "' differs from its typedef name '" + name + "'");
                return;
            }

            var result = new HeaderEnum(name, PascalCase(name), line);
            string prefix = name.ToUpperInvariant() + "_";
            var seen = new HashSet<string>(StringComparer.Ordinal);
            string[] members = m.Groups["body"].Value.Split(',');
            for (int i = 0; i < members.Length; i++)
            {
                string member = members[i].Trim();
                if (member.Length == 0 && i == members.Length - 1 && i > 0)
                {
                    break; // trailing comma
                }

                int eq = member.IndexOf('=');
                if (eq < 0)
                {
                    state.Error(line, "enum " + name + ": member '" + member + "' needs an explicit value (NAME = n)");
                    continue;
                }

                string memberName = member.Substring(0, eq).Trim();
                string valueText = member.Substring(eq + 1).Trim();
                if (!Identifier.IsMatch(memberName) || !memberName.StartsWith(prefix, StringComparison.Ordinal) || memberName.Length == prefix.Length)
                {
                    state.Error(line, "enum " + name + ": member '" + memberName + "' must be an identifier prefixed with " + prefix);
                    continue;
                }

                if (!TryParseInteger(valueText, out _, out string literal)
                    || !long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
                    || value < int.MinValue || value > int.MaxValue)
                {
                    state.Error(line, "enum " + name + ": value of " + memberName + " must be an integer literal that fits in int32, found '" + valueText + "'");
                    continue;
                }

                string csName = PascalCase(memberName.Substring(prefix.Length));
                if (csName.Length > 0 && char.IsDigit(csName[0]))
                {
                    csName = "_" + csName;
                }

                if (!seen.Add(csName))
                {
                    state.Error(line, "enum " + name + ": duplicate member " + memberName);
                    continue;
                }

                result.Members.Add(new HeaderEnumMember(memberName, csName, value));
            }

            AddType(state, line, name, new TypeInfo(TypeKind.Enum, result.CsName));
            AddType(state, line, "enum " + name, new TypeInfo(TypeKind.Enum, result.CsName));
            state.Model.Enums.Add(result);
        }

        private static void ParseCallback(Match m, int line, ParserState state)
        {
            string name = m.Groups["name"].Value;
            string? ret = MapType(m.Groups["ret"].Value, true, state, out string? error);
            if (ret == null)
            {
                state.Error(line, "callback " + name + ": return type: " + error);
                return;
            }

            List<HeaderParameter>? parameters = ParseParameters(m.Groups["params"].Value, name, line, state);
            if (parameters == null)
            {
                return;
            }

            var sb = new StringBuilder("delegate* unmanaged[Cdecl]<");
            foreach (HeaderParameter p in parameters)
            {
                sb.Append(p.CsType).Append(", ");
            }

            sb.Append(ret).Append('>');
            var callback = new HeaderCallback(name, sb.ToString(), line);
            AddType(state, line, name, new TypeInfo(TypeKind.Callback, callback.CsType));
            state.Model.Callbacks.Add(callback);
        }

        private static void ParseFunction(Match m, int line, string statement, ParserState state)
        {
            string name = m.Groups["name"].Value;
            string retText = Normalize(m.Groups["ret"].Value);
            string? ret = MapType(retText, true, state, out string? error);
            if (ret == null)
            {
                state.Error(line, "function " + name + ": return type: " + error);
                return;
            }

            List<HeaderParameter>? parameters = ParseParameters(m.Groups["params"].Value, name, line, state);
            if (parameters == null)
            {
                return;
            }

            if (!state.FunctionNames.Add(name))
            {
                state.Error(line, "function " + name + " is declared twice");
                return;
            }

            var function = new HeaderFunction(name, retText, ret, line, statement + ";");
            function.Parameters.AddRange(parameters);
            state.Model.Functions.Add(function);
        }

        /// <summary>Parses "(type name, ...)" contents; null (with an error reported) on failure.</summary>
        private static List<HeaderParameter>? ParseParameters(string text, string owner, int line, ParserState state)
        {
            var result = new List<HeaderParameter>();
            string trimmed = Normalize(text);
            if (trimmed == "void")
            {
                return result;
            }

            if (trimmed.Length == 0)
            {
                state.Error(line, owner + ": an empty parameter list is not a prototype in C; write (void)");
                return null;
            }

            string[] parts = trimmed.Split(',');
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < parts.Length; i++)
            {
                string part = parts[i].Trim();
                List<string>? tokens = Tokenize(part);
                if (tokens == null || tokens.Count == 0)
                {
                    state.Error(line, owner + ": cannot parse parameter " + (i + 1) + " '" + part + "' (arrays, variadics and inline function pointers are not allowed)");
                    return null;
                }

                // The last identifier is the parameter's name unless it is needed as the type itself
                // (unnamed parameters are allowed in callback typedefs).
                string cName;
                string cType;
                string last = tokens[tokens.Count - 1];
                if (tokens.Count >= 2 && last != "*" && last != "const" && !IsTypeName(last, state))
                {
                    cName = last;
                    cType = JoinType(tokens, tokens.Count - 1);
                }
                else
                {
                    cName = "arg" + i.ToString(CultureInfo.InvariantCulture);
                    cType = JoinType(tokens, tokens.Count);
                }

                if (!names.Add(cName))
                {
                    state.Error(line, owner + ": duplicate parameter name '" + cName + "'");
                    return null;
                }

                string? cs = MapType(cType, false, state, out string? error);
                if (cs == null)
                {
                    state.Error(line, owner + ": parameter '" + cName + "': " + error);
                    return null;
                }

                string csName = CSharpKeywords.Contains(cName) ? "@" + cName : cName;
                result.Add(new HeaderParameter(cType, cs, cName, csName));
            }

            return result;
        }

        private static bool IsTypeName(string token, ParserState state) =>
            Scalars.ContainsKey(token) || token == "void" || token == "char" || state.Types.ContainsKey(token)
            || token == "struct" || token == "enum" || token == "unsigned" || token == "signed" || token == "int"
            || token == "long" || token == "short";

        /// <summary>Splits a C type (with or without a name) into identifiers and '*'; null on any other character.</summary>
        private static List<string>? Tokenize(string text)
        {
            var tokens = new List<string>();
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '*')
                {
                    tokens.Add("*");
                    i++;
                }
                else if (c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
                {
                    int start = i;
                    while (i < text.Length && (text[i] == '_' || char.IsLetterOrDigit(text[i])))
                    {
                        i++;
                    }

                    tokens.Add(text.Substring(start, i - start));
                }
                else
                {
                    return null;
                }
            }

            return tokens;
        }

        private static string JoinType(List<string> tokens, int count)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < count; i++)
            {
                if (tokens[i] == "*")
                {
                    sb.Append('*');
                }
                else
                {
                    if (sb.Length > 0)
                    {
                        sb.Append(' ');
                    }

                    sb.Append(tokens[i]);
                }
            }

            return sb.ToString();
        }

        /// <summary>
        /// Maps a C type to its blittable C# type; null with <paramref name="error"/> set when the type
        /// is outside the header's type table. <c>const</c> is dropped (C# pointers carry no const).
        /// </summary>
        private static string? MapType(string cType, bool isReturn, ParserState state, out string? error)
        {
            error = null;
            List<string>? tokens = Tokenize(cType);
            if (tokens == null)
            {
                error = "unsupported type '" + cType.Trim() + "'";
                return null;
            }

            var baseWords = new List<string>();
            int stars = 0;
            foreach (string t in tokens)
            {
                if (t == "*")
                {
                    stars++;
                }
                else if (t == "const")
                {
                    continue;
                }
                else if (stars > 0)
                {
                    error = "unexpected '" + t + "' after '*' in '" + cType.Trim() + "'";
                    return null;
                }
                else
                {
                    baseWords.Add(t);
                }
            }

            string baseName = string.Join(" ", baseWords);
            if (baseWords.Count == 2 && (baseWords[0] == "struct" || baseWords[0] == "enum") && !state.Types.ContainsKey(baseName))
            {
                error = "unknown type '" + baseName + "'";
                return null;
            }

            if (baseWords.Count != 1 && !(baseWords.Count == 2 && state.Types.ContainsKey(baseName)))
            {
                error = baseWords.Count == 0
                    ? "missing type in '" + cType.Trim() + "'"
                    : "unsupported type '" + cType.Trim() + "' (use the sized integer types of <stdint.h>)";
                return null;
            }

            string ptr = new string('*', stars);
            if (Scalars.TryGetValue(baseName, out string? scalar) && scalar != null)
            {
                return scalar + ptr;
            }

            if (baseName == "char")
            {
                if (stars == 0)
                {
                    error = "'char' by value is not allowed (strings are const char*)";
                    return null;
                }

                return "byte" + ptr;
            }

            if (baseName == "void")
            {
                if (stars == 0 && !isReturn)
                {
                    error = "'void' parameter";
                    return null;
                }

                return "void" + ptr;
            }

            if (state.Types.TryGetValue(baseName, out TypeInfo? info) && info != null)
            {
                switch (info.Kind)
                {
                    case TypeKind.Opaque:
                        if (stars == 0)
                        {
                            error = "opaque type '" + baseName + "' can only travel by pointer";
                            return null;
                        }

                        return "nint" + new string('*', stars - 1);
                    case TypeKind.Enum:
                        return info.CsName + ptr;
                    default:
                        if (stars > 0)
                        {
                            error = "pointers to callback type '" + baseName + "' are not supported";
                            return null;
                        }

                        return info.CsName;
                }
            }

            error = "unknown type '" + baseName + "' (types must be declared above their first use and be in the header's type table)";
            return null;
        }

        // ---- helpers ----------------------------------------------------------------------------

        /// <summary><c>ng_status</c> → <c>NgStatus</c>; <c>OUT_OF_MEMORY</c> → <c>OutOfMemory</c>; <c>FLOAT32</c> → <c>Float32</c>.</summary>
        internal static string PascalCase(string name)
        {
            var sb = new StringBuilder(name.Length);
            foreach (string part in name.Split('_'))
            {
                if (part.Length == 0)
                {
                    continue;
                }

                sb.Append(char.ToUpperInvariant(part[0]));
                sb.Append(part.Substring(1).ToLowerInvariant());
            }

            return sb.ToString();
        }

        private static string Normalize(string text) => Regex.Replace(text, @"\s+", " ").Trim();

        private static int SkipWhitespace(string text, int i)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            return i;
        }

        private static int LineOf(string text, int offset)
        {
            int line = 1;
            for (int i = 0; i < offset && i < text.Length; i++)
            {
                if (text[i] == '\n')
                {
                    line++;
                }
            }

            return line;
        }
    }
}
