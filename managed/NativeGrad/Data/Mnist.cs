namespace NativeGrad.Data;

/// <summary>MNIST: 28×28 grey images of handwritten digits, 60 000 for training and 10 000 for testing.</summary>
public static class Mnist
{
    /// <summary>Mean of the training pixels scaled to [0, 1].</summary>
    public const float Mean = 0.1307f;

    /// <summary>Standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float Std = 0.3081f;

    internal static readonly MnistFamily Family = new(
        Name: "MNIST",
        CacheName: "mnist",
        SystemDirectories: ["/usr/share/datasets/mnist"],
        Mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/"],
        Md5: new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            ["train-labels-idx1-ubyte.gz"] = "d53e105ee54ea40749a09fcbcd1e9432",
            ["t10k-images-idx3-ubyte.gz"] = "9fb629c4189551a2d022fa330f9573f3",
            ["t10k-labels-idx1-ubyte.gz"] = "ec29112dd5afa0611ce80d1b7f02629c",
        },
        EmbeddedPrefix: null,
        Classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    /// <summary>
    /// Loads the training or the test split from <paramref name="root"/> (also root/mnist or
    /// root/MNIST/raw), /usr/share/datasets/mnist, or a verified download into root (or
    /// ~/.cache/nativegrad/mnist). MNIST has no embedded subset: when nothing is found a
    /// <see cref="FileNotFoundException"/> lists the places tried.
    /// </summary>
    /// <exception cref="InvalidDataException">Files were found but are truncated, corrupt or do not match.</exception>
    public static MnistDataset Load(bool train, string? root = null, bool normalize = false, ITransform? transform = null,
                                    bool download = true) =>
        Family.Load(train, root, download, FashionMnist.Combine(transform, normalize ? new Normalize(Mean, Std) : null));
}
