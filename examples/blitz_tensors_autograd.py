# -*- coding: utf-8 -*-
# "Deep Learning with PyTorch: A 60 Minute Blitz": the Tensor and Autograd sections,
# first as the 2017 (Variable) tutorial wrote them, then in the modern style.
# The only change to the tutorial code: `import tinygrad_ext as torch` (and Variable
# imported from tinygrad_ext.autograd); print() added where the notebook showed a value.
import tinygrad_ext as torch
from tinygrad_ext.autograd import Variable

# ================================================================ 2017 style
# ---- Tensors
x = torch.Tensor(5, 3)  # 构造一个未初始化的5*3的矩阵
x = torch.rand(5, 3)  # 构造一个随机初始化的矩阵
print(x)  # 此处在notebook中输出x的值来查看具体的x内容
print(x.size())

# NOTE: torch.Size 事实上是一个tuple, 所以其支持相关的操作*
y = torch.rand(5, 3)

# 此处 将两个同形矩阵相加有两种语法结构
print(x + y)  # 语法一
print(torch.add(x, y))  # 语法二

# 另外输出tensor也有两种写法
result = torch.Tensor(5, 3)  # 语法一
torch.add(x, y, out=result)  # 语法二
print(result)
y.add_(x)  # 将y与x相加
print(y)

# 特别注明：任何可以改变tensor内容的操作都会在方法名后加一个下划线'_'
# 例如：x.copy_(y), x.t_(), 这俩都会改变x的值。

# 另外python中的切片操作也是资次的。
print(x[:, 1])  # 这一操作会输出x矩阵的第二列的所有值

# ---- Numpy桥
a = torch.ones(5)
b = a.numpy()
a.add_(1)
print(a)
print(b)

import numpy as np  # noqa: E402
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)

if torch.cuda.is_available():
    x = x.cuda()
    y = y.cuda()
    x + y

# ---- Autograd: 自动求导
x = Variable(torch.ones(2, 2), requires_grad=True)
y = x + 2
print(y.creator)

# y 是作为一个操作的结果创建的因此y有一个creator
z = y * y * 3
out = z.mean()

# 现在我们来使用反向传播
out.backward()

# out.backward()和操作out.backward(torch.Tensor([1.0]))是等价的
# 在此处输出 d(out)/dx
print(x.grad)
print("blitz2017 x.grad all 4.5:", bool((x.grad == 4.5).all()))

x = torch.randn(3)
x = Variable(x, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
gradients = torch.FloatTensor([0.1, 1.0, 0.0001])
y.backward(gradients)
print(x.grad)
k = y.data[0] / x.data[0]  # y = k * x, so x.grad = k * gradients
print("blitz2017 while-loop grad ok:", bool(((x.grad - k * gradients).abs() < 1e-3 * k).all()))

# =============================================================== modern style
# ---- Tensors
x = torch.empty(5, 3)
print(x)
x = torch.rand(5, 3)
print(x)
x = torch.zeros(5, 3, dtype=torch.long)
print(x)
x = torch.tensor([5.5, 3])
print(x)
x = x.new_ones(5, 3, dtype=torch.double)
print(x)
x = torch.randn_like(x, dtype=torch.float)
print(x)
print(x.size())

y = torch.rand(5, 3)
print(x + y)
print(torch.add(x, y))
result = torch.empty(5, 3)
torch.add(x, y, out=result)
print(result)
y.add_(x)
print(y)
print(x[:, 1])

x = torch.randn(4, 4)
y = x.view(16)
z = x.view(-1, 8)
print(x.size(), y.size(), z.size())
x = torch.randn(1)
print(x)
print(x.item())

a = torch.ones(5)
print(a)
b = a.numpy()
print(b)
a.add_(1)
print(a)
print(b)

a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)

if torch.cuda.is_available():
    device = torch.device("cuda")
    y = torch.ones_like(x, device=device)
    x = x.to(device)
    z = x + y
    print(z)
    print(z.to("cpu", torch.double))

# ---- Autograd
x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn)
z = y * y * 3
out = z.mean()
print(z, out)

a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)

out.backward()
print(x.grad)
print("blitz x.grad all 4.5:", bool((x.grad == 4.5).all()))

x = torch.randn(3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)
k = y.detach()[0] / x.detach()[0]
print("blitz while-loop grad ok:", bool(((x.grad - k * v).abs() < 1e-3 * k).all()))

print(x.requires_grad)
print((x ** 2).requires_grad)
with torch.no_grad():
    print((x ** 2).requires_grad)

print(x.requires_grad)
y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())
