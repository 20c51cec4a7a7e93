# Copyright (c) mmped contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmped.models.losses.oim_loss import OIMLoss


def _loss(num_pids=2, queue_size=1, scale=10.0):
    loss = OIMLoss(num_features=2, num_pids=num_pids, queue_size=queue_size, scale=scale)
    loss.lut.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]])[:num_pids])
    loss.queue.copy_(torch.tensor([[-1.0, 0.0]])[:queue_size])
    return loss


def test_forward_backward_hand_computed():
    loss = _loss().eval()
    x = torch.tensor([[3.0, 4.0]], requires_grad=True)
    out = loss(x, torch.tensor([0]))
    # normalised x = (0.6, 0.8); logits = 10 * (0.6, 0.8, -0.6)
    logits = np.array([6.0, 8.0, -6.0])
    expected = -6.0 + np.log(np.exp(logits).sum())
    assert out.item() == pytest.approx(expected, rel=1e-6)
    out.backward()
    p = np.exp(logits) / np.exp(logits).sum()
    mem = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    g_hat = 10.0 * (p - np.array([1.0, 0.0, 0.0])) @ mem
    xh = np.array([0.6, 0.8])
    g = (np.eye(2) - np.outer(xh, xh)) @ g_hat / 5.0
    np.testing.assert_allclose(x.grad.numpy()[0], g, rtol=1e-5, atol=1e-7)
    # eval mode: memories untouched, no gradient into buffers
    assert torch.equal(loss.lut, torch.eye(2))


def test_unlabelled_excluded_and_weight():
    loss = _loss().eval()
    x = torch.tensor([[3.0, 4.0], [1.0, -1.0]], requires_grad=True)
    both = loss(x, torch.tensor([0, -1]))
    only = loss(x[:1], torch.tensor([0]))
    assert both.item() == pytest.approx(only.item())
    none = loss(x, torch.tensor([-1, -1]))
    assert none.item() == 0.0 and none.requires_grad
    loss.loss_weight = 0.5
    assert loss(x[:1], torch.tensor([0])).item() == pytest.approx(0.5 * only.item())
    with pytest.raises(ValueError, match='num_pids'):
        loss(x, torch.tensor([2, 0]))


def test_buffer_updates():
    loss = _loss(queue_size=1).train()
    loss(torch.tensor([[3.0, 4.0], [0.0, -2.0]]), torch.tensor([0, -1]))
    # lut[0] = normalise(0.5 * (1, 0) + 0.5 * (0.6, 0.8)) = normalise(0.8, 0.4)
    np.testing.assert_allclose(loss.lut[0].numpy(), np.array([0.8, 0.4]) / np.sqrt(0.8),
                               rtol=1e-6)
    np.testing.assert_allclose(loss.lut[1].numpy(), [0.0, 1.0])
    np.testing.assert_allclose(loss.queue[0].numpy(), [0.0, -1.0])
    assert int(loss.queue_head) == 0
    assert 'lut' in loss.state_dict() and 'queue' in loss.state_dict()
    assert not any(p.requires_grad for p in loss.parameters())


def _reference_update(lut, queue, head, feats, ids, momentum=0.5):
    lut, queue = lut.clone(), queue.clone()
    for f, i in zip(feats, ids):
        f = f / f.norm()
        if i >= 0:
            new = momentum * lut[i] + (1 - momentum) * f
            lut[i] = new / new.norm()
        else:
            queue[head] = f
            head = (head + 1) % queue.shape[0]
    return lut, queue, head


def test_sequential_duplicates_and_queue_wrap():
    torch.manual_seed(0)
    loss = OIMLoss(num_features=4, num_pids=3, queue_size=3).train()
    loss.lut.copy_(torch.nn.functional.normalize(torch.randn(3, 4), dim=1))
    feats = torch.randn(9, 4)
    ids = torch.tensor([1, -1, 1, 0, -1, -1, 1, -1, -1])
    lut, queue, head = _reference_update(loss.lut, loss.queue, 0, feats, ids)
    loss(feats, ids)
    torch.testing.assert_close(loss.lut, lut)
    torch.testing.assert_close(loss.queue, queue)
    assert int(loss.queue_head) == head == 5 % 3


def _ddp_worker(rank: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)  # a forked child must not use the parent's OpenMP pool
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    torch.manual_seed(0)
    loss = OIMLoss(num_features=4, num_pids=3, queue_size=4).train()
    g = torch.Generator().manual_seed(rank + 1)
    n = 3 + rank  # different batch sizes per rank
    feats = torch.randn(n, 4, generator=g, requires_grad=True)
    ids = torch.tensor([0, -1, 2, 2][:n]) if rank else torch.tensor([2, -1, 1])
    out = loss(feats, ids)
    out.backward()
    torch.save(dict(lut=loss.lut, queue=loss.queue, head=loss.queue_head,
                    feats=feats.detach(), ids=ids), f'{out_dir}/rank{rank}.pt')
    dist.destroy_process_group()


def test_ddp_gather_keeps_replicas_identical(tmp_path):
    ctx = mp.start_processes(_ddp_worker, args=(str(tmp_path / 'init'), str(tmp_path)),
                             nprocs=2, start_method='fork', join=True)
    del ctx
    r0 = torch.load(tmp_path / 'rank0.pt')
    r1 = torch.load(tmp_path / 'rank1.pt')
    torch.testing.assert_close(r0['lut'], r1['lut'])
    torch.testing.assert_close(r0['queue'], r1['queue'])
    feats = torch.cat([r0['feats'], r1['feats']])
    ids = torch.cat([r0['ids'], r1['ids']])
    lut, queue, head = _reference_update(torch.zeros(3, 4), torch.zeros(4, 4), 0, feats, ids)
    torch.testing.assert_close(r0['lut'], lut)
    torch.testing.assert_close(r0['queue'], queue)
    assert int(r0['head']) == head == 2


def test_empty_batch():
    loss = _loss().train()
    out = loss(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))
    assert out.item() == 0.0
    torch.testing.assert_close(loss.lut, torch.eye(2))


class _TinyReIDModel(torch.nn.Module):
    """A layer with an ordinary buffer next to an OIM loss (the layout of a person-search model)."""

    def __init__(self, rank: int) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(4, 4)
        self.embed.register_buffer('stat', torch.full((1, ), float(rank)))
        self.oim = OIMLoss(num_features=4, num_pids=3, queue_size=2)
        self.oim.lut.fill_(float(rank))
        self.oim.queue.fill_(float(rank))
        self.oim.queue_head.fill_(rank)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x).sum()


def _broadcast_worker(rank: int, init_file: str, out_dir: str) -> None:
    from torch.nn.parallel import DistributedDataParallel

    from mmped.utils.dist_env import exclude_replicated_buffers
    torch.set_num_threads(1)  # a forked child must not use the parent's OpenMP pool
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    model = _TinyReIDModel(rank)
    ignored = exclude_replicated_buffers(model)
    ddp = DistributedDataParallel(model, broadcast_buffers=True)
    ddp(torch.ones(2, 4)).backward()
    torch.save(dict(ignored=ignored, stat=model.embed.stat.clone(), lut=model.oim.lut.clone(),
                    queue=model.oim.queue.clone(), head=model.oim.queue_head.clone()),
               f'{out_dir}/rank{rank}.pt')
    # release DDP's reducer and meet the other rank before tearing the group down: destroying a
    # gloo group that a live DDP still uses can leave one process waiting forever
    del ddp
    dist.barrier()
    dist.destroy_process_group()


def test_ddp_does_not_broadcast_oim_memories(tmp_path):
    """With ``broadcast_buffers=True`` DDP copies rank 0's buffers to every rank at construction
    and before each forward. The OIM memories are excluded (each rank keeps its own values:
    the replicas are kept identical by the gathered update instead), ordinary buffers are not."""
    mp.start_processes(_broadcast_worker, args=(str(tmp_path / 'init'), str(tmp_path)),
                       nprocs=2, start_method='fork', join=True)
    r1 = torch.load(tmp_path / 'rank1.pt')
    assert r1['ignored'] == ['oim.lut', 'oim.queue', 'oim.queue_head']
    assert r1['stat'].item() == 0.0  # broadcast from rank 0
    assert torch.equal(r1['lut'], torch.ones(3, 4))  # kept: not broadcast
    assert torch.equal(r1['queue'], torch.ones(2, 4))
    assert r1['head'].item() == 1


def test_person_search_model_excludes_its_oim_memories(tiny_config, tiny_prw, tmp_path):
    from mmengine.config import Config

    from mmped.registry import MODELS
    from mmped.utils import register_all_modules
    register_all_modules()
    path = tiny_config(tmp_path / 'cfg.py', 'buff_r50_1xb4-5e_prw.py', tiny_prw)
    cfg = Config.fromfile(str(path))
    model = MODELS.build(cfg.model)
    ignored = sorted(model._ddp_params_and_buffers_to_ignore)
    oim_prefix = next(name for name, m in model.named_modules() if isinstance(m, OIMLoss))
    assert ignored == [f'{oim_prefix}.{b}' for b in ('lut', 'queue', 'queue_head')]
    assert all(name in model.state_dict() for name in ignored)  # still saved in checkpoints
