using NativeGrad.Diagnostics.Protos;

namespace NativeGrad.Diagnostics;

/// <summary>Reads TensorBoard event files back (every record's CRCs checked), for tests and tools.</summary>
internal static class EventFileReader
{
    /// <summary>The events of <paramref name="path"/>, in file order.</summary>
    public static List<Event> ReadAll(string path)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return TFRecord.Read(file, path).Select(Event.Parser.ParseFrom).ToList();
    }
}
