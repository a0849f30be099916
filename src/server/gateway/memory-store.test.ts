import { MemoryGatewayStore } from './memory-store.js';
import { describeGatewayStoreContract } from './store-contract.js';

describeGatewayStoreContract('MemoryGatewayStore', async () => new MemoryGatewayStore());
