import { createLabCa } from '../src/lab/ca.js';
console.log('start');
const ca = await createLabCa();
console.log('ca ok');
const c = await ca.issue({ names: ['a.test'] });
console.log('issued', c.certPem.length);
