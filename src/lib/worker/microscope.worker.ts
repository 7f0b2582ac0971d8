// The microscope's dedicated module worker: owns the GPU device, the loaded model and its
// engine, and exposes the microscope API (api.ts, protocol.ts) over Comlink; long calls run
// as jobs with progress callbacks and cancellation (jobs.ts); the page never touches GPU objects.
import * as Comlink from 'comlink';
import { createMicroscopeApi } from './api';

Comlink.expose(createMicroscopeApi());
