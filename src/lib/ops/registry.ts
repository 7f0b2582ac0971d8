// Every op the microscope understands, by the name model.json uses.

import type { OpDescriptor } from './types';
import { conv2d } from './conv2d';
import { linear } from './linear';
import { relu } from './relu';
import { leakyrelu } from './leakyrelu';
import { maxpool, avgpool, adaptiveavgpool } from './pool';
import { lrn } from './lrn';
import { batchnorm } from './batchnorm';
import { flatten, dropout, concat, add } from './structural';
import { softmax } from './softmax';
import { clip } from './clip';
import { sigmoid } from './sigmoid';
import { hardsigmoid } from './hardsigmoid';
import { hardswish } from './hardswish';
import { mul } from './mul';

export const OPS: Record<string, OpDescriptor> = Object.fromEntries(
  [
    conv2d, linear, relu, leakyrelu, clip, sigmoid, hardsigmoid, hardswish, maxpool, avgpool, adaptiveavgpool, lrn, batchnorm,
    flatten, dropout, concat, add, mul, softmax,
  ].map((d) => [d.op, d]),
);

export function opDescriptor(op: string): OpDescriptor | undefined {
  return Object.prototype.hasOwnProperty.call(OPS, op) ? OPS[op] : undefined;
}
