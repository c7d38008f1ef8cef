#!/usr/bin/env python3
"""A re-implementation of the CycleGAN reference (junyanz/pytorch-CycleGAN-and-pix2pix, master).

Written for parity testing of the Swift toolkit. The module structure is the reference's, so the
state-dict keys are the same (`model.1.weight`, `model.10.conv_block.1.weight`, … for the
generator, `model.0.weight`, … for the discriminator) and reference checkpoints load with
`strict=True`.

What is reproduced, with the reference's quirks:
- `get_norm_layer`: 'batch' = BatchNorm2d(affine, track_running_stats); 'instance' =
  InstanceNorm2d(affine=False, track_running_stats=False); 'none' = an `Identity` module (it keeps
  its index in the nn.Sequential, so the keys of the other layers do not move).
- `use_bias` of the inner convolutions is True only for InstanceNorm: with 'batch' AND with 'none'
  the inner convs have no bias (the reference tests `norm_layer.func == nn.InstanceNorm2d`, and for
  'none' the norm layer is a plain function). The first conv of D and the last conv of G and of D
  always have a bias.
- `init_weights` ('normal', gain 0.02): Conv*/Linear weights ~ N(0, gain), biases 0; BatchNorm2d
  weight ~ N(1, gain), bias 0. InstanceNorm (affine=False) has nothing to initialise.
- `GANLoss`: 'lsgan' = MSE against 1/0, 'vanilla' = BCEWithLogits against 1/0 (D has no sigmoid),
  'wgangp' = -mean / mean.
- `ImagePool` with Python's `random` (pool_size 0 returns the input unchanged).
- `CycleGANStep.optimize_parameters`: the order of `CycleGANModel.optimize_parameters`.

Run `python reference.py --selftest` to check parameter counts against docs/reference.md.
"""
from __future__ import annotations

import argparse
import functools
import itertools
import random
import sys
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
from torch.nn import init


# MARK: - Helpers

class Identity(nn.Module):
    """The reference's stand-in for norm 'none' (classname matters for init: neither Conv nor BatchNorm)."""

    def forward(self, x):
        return x


def get_norm_layer(norm_type: str = 'instance'):
    if norm_type == 'batch':
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if norm_type == 'instance':
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    if norm_type == 'none':
        def norm_layer(_num_features):
            return Identity()
        return norm_layer
    raise NotImplementedError('normalization layer [%s] is not found' % norm_type)


def _uses_bias(norm_layer) -> bool:
    """The reference's test: only InstanceNorm gives inner convs a bias ('none' and 'batch' do not)."""
    if isinstance(norm_layer, functools.partial):
        return norm_layer.func == nn.InstanceNorm2d
    return norm_layer == nn.InstanceNorm2d


def init_weights(net: nn.Module, init_type: str = 'normal', init_gain: float = 0.02) -> None:
    def init_func(m):
        classname = m.__class__.__name__
        if hasattr(m, 'weight') and (classname.find('Conv') != -1 or classname.find('Linear') != -1):
            if init_type == 'normal':
                init.normal_(m.weight.data, 0.0, init_gain)
            elif init_type == 'xavier':
                init.xavier_normal_(m.weight.data, gain=init_gain)
            elif init_type == 'kaiming':
                init.kaiming_normal_(m.weight.data, a=0, mode='fan_in')
            elif init_type == 'orthogonal':
                init.orthogonal_(m.weight.data, gain=init_gain)
            else:
                raise NotImplementedError('initialization method [%s] is not implemented' % init_type)
            if hasattr(m, 'bias') and m.bias is not None:
                init.constant_(m.bias.data, 0.0)
        elif classname.find('BatchNorm2d') != -1:
            init.normal_(m.weight.data, 1.0, init_gain)
            init.constant_(m.bias.data, 0.0)

    net.apply(init_func)  # children first, then the parent: the reference's RNG order


# MARK: - Generator

class ResnetBlock(nn.Module):
    """x + [pad, conv3, norm, relu, (dropout), pad, conv3, norm](x)."""

    def __init__(self, dim, padding_type, norm_layer, use_dropout, use_bias):
        super().__init__()
        self.conv_block = self.build_conv_block(dim, padding_type, norm_layer, use_dropout, use_bias)

    @staticmethod
    def _padding(padding_type):
        if padding_type == 'reflect':
            return [nn.ReflectionPad2d(1)], 0
        if padding_type == 'replicate':
            return [nn.ReplicationPad2d(1)], 0
        if padding_type == 'zero':
            return [], 1
        raise NotImplementedError('padding [%s] is not implemented' % padding_type)

    def build_conv_block(self, dim, padding_type, norm_layer, use_dropout, use_bias):
        layers, p = self._padding(padding_type)
        layers += [nn.Conv2d(dim, dim, kernel_size=3, padding=p, bias=use_bias), norm_layer(dim), nn.ReLU(True)]
        if use_dropout:
            layers += [nn.Dropout(0.5)]
        pad2, p = self._padding(padding_type)
        layers += pad2
        layers += [nn.Conv2d(dim, dim, kernel_size=3, padding=p, bias=use_bias), norm_layer(dim)]
        return nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """Indices (instance norm, n_blocks = 9): 0 pad, 1 conv7, 2 norm, 3 relu, 4 conv↓, 5 norm, 6 relu,
    7 conv↓, 8 norm, 9 relu, 10…18 blocks, 19 convT↑, 20 norm, 21 relu, 22 convT↑, 23 norm, 24 relu,
    25 pad, 26 conv7 (with bias), 27 tanh."""

    def __init__(self, input_nc, output_nc, ngf=64, norm_layer=nn.BatchNorm2d, use_dropout=False,
                 n_blocks=6, padding_type='reflect'):
        assert n_blocks >= 0
        super().__init__()
        use_bias = _uses_bias(norm_layer)
        model = [nn.ReflectionPad2d(3),
                 nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0, bias=use_bias),
                 norm_layer(ngf),
                 nn.ReLU(True)]
        n_downsampling = 2
        for i in range(n_downsampling):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=use_bias),
                      norm_layer(ngf * mult * 2),
                      nn.ReLU(True)]
        mult = 2 ** n_downsampling
        for _ in range(n_blocks):
            model += [ResnetBlock(ngf * mult, padding_type=padding_type, norm_layer=norm_layer,
                                  use_dropout=use_dropout, use_bias=use_bias)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            model += [nn.ConvTranspose2d(ngf * mult, int(ngf * mult / 2), kernel_size=3, stride=2,
                                         padding=1, output_padding=1, bias=use_bias),
                      norm_layer(int(ngf * mult / 2)),
                      nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3)]
        model += [nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0)]
        model += [nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class UnetGenerator(nn.Module):
    """U-Net of num_downs nested skip-connection blocks (unet_256: 8, unet_128: 7). Keys nest:
    model.model.0 (outermost conv), model.model.1.model.1 (next conv), …, model.model.3 (outermost convT)."""

    def __init__(self, input_nc, output_nc, num_downs, ngf=64, norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        unet_block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, input_nc=None, submodule=None, norm_layer=norm_layer,
                                             innermost=True)
        for _ in range(num_downs - 5):
            unet_block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, input_nc=None, submodule=unet_block,
                                                 norm_layer=norm_layer, use_dropout=use_dropout)
        unet_block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, input_nc=None, submodule=unet_block, norm_layer=norm_layer)
        unet_block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, input_nc=None, submodule=unet_block, norm_layer=norm_layer)
        unet_block = UnetSkipConnectionBlock(ngf, ngf * 2, input_nc=None, submodule=unet_block, norm_layer=norm_layer)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=unet_block, outermost=True,
                                             norm_layer=norm_layer)

    def forward(self, input):
        return self.model(input)


class UnetSkipConnectionBlock(nn.Module):
    """The reference's block, quirks included: its LeakyReLU is in place, so the skip connection
    `torch.cat([x, self.model(x)], 1)` carries LeakyReLU(x), not x."""

    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False,
                 norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        use_bias = _uses_bias(norm_layer)
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = norm_layer(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = norm_layer(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            down = [downconv]
            up = [uprelu, upconv, nn.Tanh()]
            model = down + [submodule] + up
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            down = [downrelu, downconv]
            up = [uprelu, upconv, upnorm]
            model = down + up
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            down = [downrelu, downconv, downnorm]
            up = [uprelu, upconv, upnorm]
            if use_dropout:
                model = down + [submodule] + up + [nn.Dropout(0.5)]
            else:
                model = down + [submodule] + up
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


# MARK: - Discriminators

class NLayerDiscriminator(nn.Module):
    """PatchGAN: conv4 s2 (bias) → lrelu; n_layers-1 × [conv4 s2 → norm → lrelu]; conv4 s1 → norm →
    lrelu; conv4 s1 → 1 channel (bias). Channels ndf·min(2ⁿ, 8)."""

    def __init__(self, input_nc, ndf=64, n_layers=3, norm_layer=nn.BatchNorm2d):
        super().__init__()
        use_bias = _uses_bias(norm_layer)
        kw, padw = 4, 1
        sequence = [nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers):
            nf_mult_prev, nf_mult = nf_mult, min(2 ** n, 8)
            sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=2, padding=padw,
                                   bias=use_bias),
                         norm_layer(ndf * nf_mult),
                         nn.LeakyReLU(0.2, True)]
        nf_mult_prev, nf_mult = nf_mult, min(2 ** n_layers, 8)
        sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=1, padding=padw,
                               bias=use_bias),
                     norm_layer(ndf * nf_mult),
                     nn.LeakyReLU(0.2, True)]
        sequence += [nn.Conv2d(ndf * nf_mult, 1, kernel_size=kw, stride=1, padding=padw)]
        self.model = nn.Sequential(*sequence)

    def forward(self, x):
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """1×1 PatchGAN ('pixel'); its attribute is `net`, not `model`, as in the reference."""

    def __init__(self, input_nc, ndf=64, norm_layer=nn.BatchNorm2d):
        super().__init__()
        use_bias = _uses_bias(norm_layer)
        self.net = nn.Sequential(
            nn.Conv2d(input_nc, ndf, kernel_size=1, stride=1, padding=0),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, kernel_size=1, stride=1, padding=0, bias=use_bias),
            norm_layer(ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, kernel_size=1, stride=1, padding=0, bias=use_bias))

    def forward(self, x):
        return self.net(x)


# MARK: - Factories (CPU only: no DataParallel)

G_BLOCKS = {'resnet_9blocks': 9, 'resnet_6blocks': 6}
UNET_DOWNS = {'unet_256': 8, 'unet_128': 7}


def define_G(input_nc, output_nc, ngf, netG, norm='batch', use_dropout=False, init_type='normal',
             init_gain=0.02):
    norm_layer = get_norm_layer(norm)
    if netG in G_BLOCKS:
        net = ResnetGenerator(input_nc, output_nc, ngf, norm_layer=norm_layer, use_dropout=use_dropout,
                              n_blocks=G_BLOCKS[netG])
    elif netG in UNET_DOWNS:
        net = UnetGenerator(input_nc, output_nc, UNET_DOWNS[netG], ngf, norm_layer=norm_layer, use_dropout=use_dropout)
    else:
        raise NotImplementedError('Generator model name [%s] is not recognized' % netG)
    init_weights(net, init_type, init_gain)
    return net


def define_D(input_nc, ndf, netD, n_layers_D=3, norm='batch', init_type='normal', init_gain=0.02):
    norm_layer = get_norm_layer(norm)
    if netD == 'basic':
        net = NLayerDiscriminator(input_nc, ndf, n_layers=3, norm_layer=norm_layer)
    elif netD == 'n_layers':
        net = NLayerDiscriminator(input_nc, ndf, n_layers_D, norm_layer=norm_layer)
    elif netD == 'pixel':
        net = PixelDiscriminator(input_nc, ndf, norm_layer=norm_layer)
    else:
        raise NotImplementedError('Discriminator model name [%s] is not recognized' % netD)
    init_weights(net, init_type, init_gain)
    return net


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# MARK: - Losses and the image pool

class GANLoss(nn.Module):
    def __init__(self, gan_mode='lsgan', target_real_label=1.0, target_fake_label=0.0):
        super().__init__()
        self.register_buffer('real_label', torch.tensor(target_real_label))
        self.register_buffer('fake_label', torch.tensor(target_fake_label))
        self.gan_mode = gan_mode
        if gan_mode == 'lsgan':
            self.loss = nn.MSELoss()
        elif gan_mode == 'vanilla':
            self.loss = nn.BCEWithLogitsLoss()
        elif gan_mode == 'wgangp':
            self.loss = None
        else:
            raise NotImplementedError('gan mode %s not implemented' % gan_mode)

    def get_target_tensor(self, prediction, target_is_real):
        target = self.real_label if target_is_real else self.fake_label
        return target.expand_as(prediction)

    def __call__(self, prediction, target_is_real):
        if self.gan_mode in ('lsgan', 'vanilla'):
            return self.loss(prediction, self.get_target_tensor(prediction, target_is_real))
        return -prediction.mean() if target_is_real else prediction.mean()


class ImagePool:
    """History of generated images (Shrivastava et al.); uses Python's global `random`."""

    def __init__(self, pool_size):
        self.pool_size = pool_size
        self.num_imgs = 0
        self.images = []

    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images:
            image = torch.unsqueeze(image.data, 0)
            if self.num_imgs < self.pool_size:
                self.num_imgs += 1
                self.images.append(image)
                out.append(image)
            elif random.uniform(0, 1) > 0.5:
                random_id = random.randint(0, self.pool_size - 1)  # inclusive
                tmp = self.images[random_id].clone()
                self.images[random_id] = image
                out.append(tmp)
            else:
                out.append(image)
        return torch.cat(out, 0)


# MARK: - The training step

@dataclass
class CycleGANOptions:
    netG: str = 'resnet_9blocks'
    ngf: int = 64
    netD: str = 'basic'
    ndf: int = 64
    n_layers_D: int = 3
    norm: str = 'instance'
    input_nc: int = 3
    output_nc: int = 3
    gan_mode: str = 'lsgan'
    lambda_A: float = 10.0
    lambda_B: float = 10.0
    lambda_identity: float = 0.5
    lr: float = 0.0002
    beta1: float = 0.5
    pool_size: int = 50
    init_type: str = 'normal'
    init_gain: float = 0.02
    no_dropout: bool = True  # CycleGAN's default

    def as_dict(self):
        return asdict(self)


LOSS_NAMES = ['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B']


class CycleGANStep:
    """Nets, criteria, pools and optimizers of the reference's CycleGANModel (training mode), with
    `optimize_parameters` in the reference's order. The nets are built in the reference's order
    (G_A, G_B, D_A, D_B), so one torch.manual_seed before construction gives the same weights.

    `optimize_parameters(real_A, real_B, before_G_step=None, before_D_step=None)` returns a dict with
    the visuals, the discriminator predictions and the losses (floats). The two callbacks are called
    with this object right before each Adam step (the gradients are in `.grad`)."""

    def __init__(self, opt: CycleGANOptions):
        self.opt = opt
        if opt.lambda_identity > 0.0:
            assert opt.input_nc == opt.output_nc, 'identity loss needs input_nc == output_nc'
        use_dropout = not opt.no_dropout
        self.netG_A = define_G(opt.input_nc, opt.output_nc, opt.ngf, opt.netG, opt.norm, use_dropout,
                               opt.init_type, opt.init_gain)
        self.netG_B = define_G(opt.output_nc, opt.input_nc, opt.ngf, opt.netG, opt.norm, use_dropout,
                               opt.init_type, opt.init_gain)
        self.netD_A = define_D(opt.output_nc, opt.ndf, opt.netD, opt.n_layers_D, opt.norm, opt.init_type,
                               opt.init_gain)
        self.netD_B = define_D(opt.input_nc, opt.ndf, opt.netD, opt.n_layers_D, opt.norm, opt.init_type,
                               opt.init_gain)
        self.fake_A_pool = ImagePool(opt.pool_size)
        self.fake_B_pool = ImagePool(opt.pool_size)
        self.criterionGAN = GANLoss(opt.gan_mode)
        self.criterionCycle = nn.L1Loss()
        self.criterionIdt = nn.L1Loss()
        self.optimizer_G = torch.optim.Adam(itertools.chain(self.netG_A.parameters(), self.netG_B.parameters()),
                                            lr=opt.lr, betas=(opt.beta1, 0.999))
        self.optimizer_D = torch.optim.Adam(itertools.chain(self.netD_A.parameters(), self.netD_B.parameters()),
                                            lr=opt.lr, betas=(opt.beta1, 0.999))
        for net in self.nets().values():
            net.train()

    def nets(self):
        return {'G_A': self.netG_A, 'G_B': self.netG_B, 'D_A': self.netD_A, 'D_B': self.netD_B}

    @staticmethod
    def set_requires_grad(nets, requires_grad):
        for net in nets:
            for p in net.parameters():
                p.requires_grad = requires_grad

    def backward_D_basic(self, netD, real, fake, record, tag):
        pred_real = netD(real)
        loss_D_real = self.criterionGAN(pred_real, True)
        pred_fake = netD(fake.detach())
        loss_D_fake = self.criterionGAN(pred_fake, False)
        loss_D = (loss_D_real + loss_D_fake) * 0.5
        loss_D.backward()
        record[tag + '_real'] = pred_real.detach().clone()
        record[tag + '_pooled_fake'] = pred_fake.detach().clone()
        return loss_D

    def optimize_parameters(self, real_A, real_B, before_G_step=None, before_D_step=None):
        o = self.opt
        r = {'real_A': real_A, 'real_B': real_B}
        # forward
        fake_B = self.netG_A(real_A)
        rec_A = self.netG_B(fake_B)
        fake_A = self.netG_B(real_B)
        rec_B = self.netG_A(fake_A)

        # G_A and G_B, discriminators frozen
        self.set_requires_grad([self.netD_A, self.netD_B], False)
        self.optimizer_G.zero_grad()
        if o.lambda_identity > 0:
            idt_A = self.netG_A(real_B)
            loss_idt_A = self.criterionIdt(idt_A, real_B) * o.lambda_B * o.lambda_identity
            idt_B = self.netG_B(real_A)
            loss_idt_B = self.criterionIdt(idt_B, real_A) * o.lambda_A * o.lambda_identity
            r['idt_A'], r['idt_B'] = idt_A.detach().clone(), idt_B.detach().clone()
        else:
            loss_idt_A = loss_idt_B = 0
        pred_fake_B = self.netD_A(fake_B)
        loss_G_A = self.criterionGAN(pred_fake_B, True)
        pred_fake_A = self.netD_B(fake_A)
        loss_G_B = self.criterionGAN(pred_fake_A, True)
        loss_cycle_A = self.criterionCycle(rec_A, real_A) * o.lambda_A
        loss_cycle_B = self.criterionCycle(rec_B, real_B) * o.lambda_B
        loss_G = loss_G_A + loss_G_B + loss_cycle_A + loss_cycle_B + loss_idt_A + loss_idt_B
        loss_G.backward()
        if before_G_step is not None:
            before_G_step(self)
        self.optimizer_G.step()

        # D_A and D_B on pooled, detached fakes (computed before the G update)
        self.set_requires_grad([self.netD_A, self.netD_B], True)
        self.optimizer_D.zero_grad()
        loss_D_A = self.backward_D_basic(self.netD_A, real_B, self.fake_B_pool.query(fake_B), r, 'D_A')
        loss_D_B = self.backward_D_basic(self.netD_B, real_A, self.fake_A_pool.query(fake_A), r, 'D_B')
        if before_D_step is not None:
            before_D_step(self)
        self.optimizer_D.step()

        r.update(fake_B=fake_B.detach().clone(), rec_A=rec_A.detach().clone(),
                 fake_A=fake_A.detach().clone(), rec_B=rec_B.detach().clone(),
                 D_A_fake_B=pred_fake_B.detach().clone(), D_B_fake_A=pred_fake_A.detach().clone())
        losses = {'D_A': loss_D_A, 'G_A': loss_G_A, 'cycle_A': loss_cycle_A, 'idt_A': loss_idt_A,
                  'D_B': loss_D_B, 'G_B': loss_G_B, 'cycle_B': loss_cycle_B, 'idt_B': loss_idt_B, 'G': loss_G}
        r['losses'] = {k: float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in losses.items()}
        return r


# MARK: - Self-test

EXPECTED_COUNTS = {  # docs/reference.md: 3 channels, ngf = ndf = 64, instance norm
    'G resnet_9blocks': 11_378_179,
    'G resnet_6blocks': 7_837_699,
    'D basic': 2_764_737,
}


def selftest() -> int:
    torch.manual_seed(0)
    failures, passes = [], []

    def check(cond, what):
        print(('  ok    ' if cond else '  FAIL  ') + what)
        (passes if cond else failures).append(what)

    print('parameter counts (3→3 channels, ngf = ndf = 64):')
    counts = {}
    for norm in ('instance', 'batch', 'none'):
        g9 = define_G(3, 3, 64, 'resnet_9blocks', norm)
        g6 = define_G(3, 3, 64, 'resnet_6blocks', norm)
        d = define_D(3, 64, 'basic', 3, norm)
        counts[norm] = (count_parameters(g9), count_parameters(g6), count_parameters(d))
        print('  norm %-8s  G resnet_9blocks %12s   G resnet_6blocks %12s   D basic %12s' %
              (norm, *('{:,}'.format(c) for c in counts[norm])))
    for (name, want), got in zip(EXPECTED_COUNTS.items(), counts['instance']):
        check(got == want, '%s (instance) = %s, docs/reference.md says %s' % (name, '{:,}'.format(got), '{:,}'.format(want)))

    print('state-dict keys:')
    g = define_G(3, 3, 64, 'resnet_9blocks', 'instance')
    keys = list(g.state_dict().keys())
    check(keys[0] == 'model.1.weight' and 'model.10.conv_block.1.weight' in keys and
          'model.26.bias' == keys[-1], 'G r9 instance: first %s, last %s, %d keys' % (keys[0], keys[-1], len(keys)))
    check('model.1.bias' in keys and 'model.10.conv_block.5.bias' in keys, 'instance: inner convs have a bias')
    gb = define_G(3, 3, 64, 'resnet_9blocks', 'batch')
    kb = gb.state_dict().keys()
    check('model.1.bias' not in kb and 'model.2.running_mean' in kb and 'model.2.num_batches_tracked' in kb
          and 'model.10.conv_block.2.weight' in kb, 'batch: no inner conv bias, BatchNorm at the same indices')
    gn = define_G(3, 3, 64, 'resnet_9blocks', 'none')
    kn = list(gn.state_dict().keys())
    check('model.1.bias' not in kn and 'model.26.bias' in kn and 'model.4.weight' in kn
          and 'model.19.weight' in kn, 'none: no inner conv bias (reference quirk), indices unchanged')
    d = define_D(3, 64, 'basic', 3, 'instance')
    kd = list(d.state_dict().keys())
    check(kd == ['model.0.weight', 'model.0.bias', 'model.2.weight', 'model.2.bias', 'model.5.weight',
                 'model.5.bias', 'model.8.weight', 'model.8.bias', 'model.11.weight', 'model.11.bias'],
          'D basic instance keys: ' + ' '.join(kd))
    db = define_D(3, 64, 'basic', 3, 'batch')
    check(db.model[3].weight.std().item() > 0 and abs(db.model[3].weight.mean().item() - 1) < 0.01,
          'batch: BatchNorm weight ~ N(1, 0.02)')

    print('one CycleGAN step (r6, ngf 8, 32×32, instance):')
    step = CycleGANStep(CycleGANOptions(netG='resnet_6blocks', ngf=8, ndf=8, pool_size=0))
    a = torch.rand(1, 3, 32, 32) * 2 - 1
    b = torch.rand(1, 3, 32, 32) * 2 - 1
    seen = {}

    def g_hook(s):
        seen['D grads during G step'] = [p.grad for n in ('D_A', 'D_B') for p in s.nets()[n].parameters()]
        seen['G grads'] = [p.grad for n in ('G_A', 'G_B') for p in s.nets()[n].parameters()]

    r = step.optimize_parameters(a, b, before_G_step=g_hook)
    check(all(gr is None for gr in seen['D grads during G step']), 'D frozen: no D gradients in the G step')
    check(all(gr is not None for gr in seen['G grads']), 'every G parameter has a gradient')
    check(r['fake_B'].shape == (1, 3, 32, 32) and r['D_A_fake_B'].shape == (1, 1, 2, 2),
          'shapes: fake_B %s, D_A(fake_B) %s' % (tuple(r['fake_B'].shape), tuple(r['D_A_fake_B'].shape)))
    print('  losses: ' + ', '.join('%s %.5f' % (k, r['losses'][k]) for k in LOSS_NAMES))
    print('%d passed, %d failed' % (len(passes), len(failures)))
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--selftest', action='store_true', help='check parameter counts, keys and one step')
    args = ap.parse_args(argv)
    if args.selftest:
        torch.set_num_threads(1)
        return selftest()
    ap.print_help()
    return 0


if __name__ == '__main__':
    sys.exit(main())
