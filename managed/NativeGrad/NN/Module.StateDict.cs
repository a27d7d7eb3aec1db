namespace NativeGrad.NN;

public abstract partial class Module
{
    /// <summary>
    /// The persistent state: every parameter and persistent buffer under its dotted name, in
    /// registration order (a shared module appears under each of its names, as in PyTorch). The
    /// values are detached tensors sharing memory with the module's own — dispose them freely.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var dict = new OrderedDictionary<string, Tensor>();
        foreach ((string name, Tensor t) in StateEntries()) dict[name] = t.Detach();
        return dict;
    }

    // Every registered tensor under each name it can be reached by (no de-duplication).
    private IEnumerable<(string Name, Tensor Tensor)> StateEntries()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach ((string prefix, Module m) in NamedModulesCore("", seen, removeDuplicate: false))
        {
            string p = prefix.Length == 0 ? "" : prefix + ".";
            foreach (KeyValuePair<string, Parameter?> kv in m._parameters)
            {
                if (kv.Value is not null) yield return (p + kv.Key, kv.Value.Tensor);
            }
            foreach (KeyValuePair<string, Tensor?> kv in m._buffers)
            {
                if (kv.Value is not null && !m._nonPersistentBuffers.Contains(kv.Key)) yield return (p + kv.Key, kv.Value);
            }
        }
    }

    /// <summary>
    /// Copies the values of <paramref name="stateDict"/> into the module's parameters and buffers
    /// (converting the dtype if needed). With <paramref name="strict"/> (the default), missing keys
    /// and unexpected keys are an error; a shape mismatch is always an error. Nothing is written
    /// unless every check passes.
    /// </summary>
    /// <returns>The missing and unexpected keys (both empty after a strict load).</returns>
    /// <exception cref="ArgumentException">Listing every missing key, unexpected key and shape mismatch.</exception>
    public (IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys) LoadStateDict(
        IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var own = StateEntries().ToList();
        var ownNames = new HashSet<string>(own.Select(e => e.Name));
        var missing = own.Where(e => !stateDict.ContainsKey(e.Name)).Select(e => e.Name).ToList();
        var unexpected = stateDict.Keys.Where(k => !ownNames.Contains(k)).ToList();
        var mismatched = new List<string>();
        foreach ((string name, Tensor t) in own)
        {
            if (stateDict.TryGetValue(name, out Tensor? v) && v is not null && !v.ShapeRef.AsSpan().SequenceEqual(t.ShapeRef))
                mismatched.Add($"{name}: checkpoint shape {Tensor.ShapeString(v.ShapeRef)}, model shape {Tensor.ShapeString(t.ShapeRef)}");
        }
        var problems = new List<string>();
        if (strict && missing.Count > 0) problems.Add("missing keys: " + string.Join(", ", missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected keys: " + string.Join(", ", unexpected));
        if (mismatched.Count > 0) problems.Add("shape mismatches: " + string.Join("; ", mismatched));
        if (problems.Count > 0)
            throw new ArgumentException($"Error loading the state dict of {TypeName}: {string.Join(". ", problems)}.", nameof(stateDict));
        using (Autograd.NoGrad())
        {
            foreach ((string name, Tensor t) in own)
            {
                if (stateDict.TryGetValue(name, out Tensor? v) && v is not null) t.CopyFrom(v);
            }
        }
        return (missing, unexpected);
    }

    /// <summary>
    /// Writes the state dict to <paramref name="path"/> in the safetensors format (readable by
    /// Python's <c>safetensors.torch.load_file</c>). Shared tensors are written under each name.
    /// </summary>
    public void Save(string path)
    {
        OrderedDictionary<string, Tensor> dict = StateDict();
        try
        {
            SafeTensors.Save(dict, path, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (Tensor t in dict.Values) t.Dispose();
        }
    }

    /// <summary>Loads a safetensors file written by <see cref="Save"/> (or by PyTorch) into this module. Returns this module.</summary>
    /// <exception cref="ArgumentException">Keys or shapes do not match (see <see cref="LoadStateDict"/>).</exception>
    public Module Load(string path, bool strict = true)
    {
        OrderedDictionary<string, Tensor> dict = SafeTensors.Load(path);
        try
        {
            LoadStateDict(dict, strict);
        }
        finally
        {
            foreach (Tensor t in dict.Values) t.Dispose();
        }
        return this;
    }
}
