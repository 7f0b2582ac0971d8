# The built-in models' graphs, as model.json "layers" lists (without "params"), each with the
# widths of its conv/linear layers (mcnet.build infers input sizes from the graph).
# tools/python/train.py builds them with mcnet.build.


def conv(name, src, kernel, padding=0, stride=1):
    k = [kernel, kernel]
    return {"name": name, "op": "conv2d", "inputs": [src],
            "attrs": {"kernel": k, "stride": [stride, stride], "padding": [padding, padding],
                      "dilation": [1, 1], "groups": 1}}


def relu(name, src):
    return {"name": name, "op": "relu", "inputs": [src]}


def maxpool(name, src, kernel=2, stride=None, padding=0):
    stride = kernel if stride is None else stride
    return {"name": name, "op": "maxpool", "inputs": [src],
            "attrs": {"kernel": [kernel, kernel], "stride": [stride, stride],
                      "padding": [padding, padding], "ceilMode": False}}


def flatten(name, src):
    return {"name": name, "op": "flatten", "inputs": [src]}


def linear(name, src):
    return {"name": name, "op": "linear", "inputs": [src]}


def concat(name, srcs):
    return {"name": name, "op": "concat", "inputs": list(srcs)}


def add(name, a, b):
    return {"name": name, "op": "add", "inputs": [a, b]}


def adaptive_avgpool(name, src, size=1):
    return {"name": name, "op": "adaptiveavgpool", "inputs": [src], "attrs": {"output": [size, size]}}


def fashion_small():
    """conv 1->8, pool, conv 8->16, pool, conv 16->32, pool (3x3), linear 288->10."""
    layers = [
        conv("conv1", "input", 3, padding=1), relu("relu1", "conv1"), maxpool("pool1", "relu1"),
        conv("conv2", "pool1", 3, padding=1), relu("relu2", "conv2"), maxpool("pool2", "relu2"),
        conv("conv3", "pool2", 3, padding=1), relu("relu3", "conv3"), maxpool("pool3", "relu3"),
        flatten("flat", "pool3"), linear("fc", "flat"),
    ]
    widths = {"conv1": 8, "conv2": 16, "conv3": 32, "fc": 10}
    return layers, widths, "fc"


def fashion_vgg():
    """Three pairs of 3x3 convs (32-32, 64-64, 128-128), maxpool after each pair
    (28 -> 14 -> 7 -> 3), then linear 1152->128, relu, linear 128->10."""
    layers, widths, src = [], {}, "input"
    for block, width in enumerate([32, 64, 128], start=1):
        for j in (1, 2):
            name = f"conv{block}_{j}"
            layers += [conv(name, src, 3, padding=1), relu(f"relu{block}_{j}", name)]
            widths[name] = width
            src = f"relu{block}_{j}"
        layers.append(maxpool(f"pool{block}", src))
        src = f"pool{block}"
    layers += [flatten("flat", src), linear("fc1", "flat"), relu("relu_fc1", "fc1"),
               linear("fc2", "relu_fc1")]
    widths.update({"fc1": 128, "fc2": 10})
    return layers, widths, "fc2"


def digits():
    """Same plan as fashion-small, twice as wide: conv 1->16, 16->32, 32->64 (each relu +
    maxpool 2), linear 576->10."""
    layers, _, out = fashion_small()
    widths = {"conv1": 16, "conv2": 32, "conv3": 64, "fc": 10}
    return layers, widths, out


def inception_block(prefix, src, w1, w3r, w3, w5r, w5, wp):
    """GoogLeNet-style block: 1x1 | 1x1->3x3 | 1x1->5x5 | maxpool3(s1,p1)->1x1, each conv
    followed by relu, branches concatenated along channels (w1 + w3 + w5 + wp)."""
    p = prefix
    layers = [
        conv(f"{p}_1x1", src, 1), relu(f"{p}_1x1_relu", f"{p}_1x1"),
        conv(f"{p}_3x3_reduce", src, 1), relu(f"{p}_3x3_reduce_relu", f"{p}_3x3_reduce"),
        conv(f"{p}_3x3", f"{p}_3x3_reduce_relu", 3, padding=1), relu(f"{p}_3x3_relu", f"{p}_3x3"),
        conv(f"{p}_5x5_reduce", src, 1), relu(f"{p}_5x5_reduce_relu", f"{p}_5x5_reduce"),
        conv(f"{p}_5x5", f"{p}_5x5_reduce_relu", 5, padding=2), relu(f"{p}_5x5_relu", f"{p}_5x5"),
        maxpool(f"{p}_pool", src, kernel=3, stride=1, padding=1),
        conv(f"{p}_pool_proj", f"{p}_pool", 1), relu(f"{p}_pool_proj_relu", f"{p}_pool_proj"),
        concat(f"{p}_concat", [f"{p}_1x1_relu", f"{p}_3x3_relu", f"{p}_5x5_relu",
                               f"{p}_pool_proj_relu"]),
    ]
    widths = {f"{p}_1x1": w1, f"{p}_3x3_reduce": w3r, f"{p}_3x3": w3,
              f"{p}_5x5_reduce": w5r, f"{p}_5x5": w5, f"{p}_pool_proj": wp}
    return layers, widths, f"{p}_concat"


def fashion_inception():
    """Stem conv 3x3 1->32 + maxpool (14x14); inception block 3a (16+24+12+12 = 64 channels);
    maxpool (7x7); residual block: conv 3x3 64->64, relu, conv 3x3 64->64, added to its input,
    relu; inception block 4a (64 channels) whose output is added to its own input (a second
    residual add); global average pool; linear 64->10."""
    layers = [conv("stem", "input", 3, padding=1), relu("stem_relu", "stem"),
              maxpool("stem_pool", "stem_relu")]
    widths = {"stem": 32}
    l3, w3, out3 = inception_block("inc3a", "stem_pool", 16, 16, 24, 8, 12, 12)
    layers += l3
    widths.update(w3)
    layers.append(maxpool("pool3", out3))
    layers += [conv("res1_conv1", "pool3", 3, padding=1), relu("res1_relu1", "res1_conv1"),
               conv("res1_conv2", "res1_relu1", 3, padding=1),
               add("res1_add", "res1_conv2", "pool3"), relu("res1_relu", "res1_add")]
    widths.update({"res1_conv1": 64, "res1_conv2": 64})
    l4, w4, out4 = inception_block("inc4a", "res1_relu", 16, 16, 24, 8, 12, 12)
    layers += l4
    widths.update(w4)
    layers += [add("inc4a_add", out4, "res1_relu"),
               adaptive_avgpool("gap", "inc4a_add"), flatten("flat", "gap"), linear("fc", "flat")]
    widths["fc"] = 10
    return layers, widths, "fc"


def with_widths(layers, widths):
    """The layers with each conv's output channels and each linear's output features in its
    attrs (`outChannels` / `outFeatures`), which mcnet.build needs to create the parameters."""
    out = []
    for layer in layers:
        layer = dict(layer)
        if layer["op"] == "conv2d":
            layer["attrs"] = dict(layer["attrs"], outChannels=widths[layer["name"]])
        elif layer["op"] == "linear":
            layer["attrs"] = dict(layer.get("attrs", {}), outFeatures=widths[layer["name"]])
        out.append(layer)
    return out
