// The package entry: importing it defines <porthole-chat>.
import './element/define.js';

export * from './exports.js';
